"""The score of a CV for a job (matching/score.py) and the ranking (matching/rank.py):
deterministic, skills shown in use above skills listed, must-have above nice-to-have, and
blind to who the person is."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import given, note
from hypothesis import strategies as st

from relance.intake.models import CV
from relance.matching import index, profiles, rank, requirements, score
from relance.matching.models import Profile, Requirement
from relance.people.models import Candidate, Job, Organisation

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

JOB_TEXT = (
    "Nous recrutons un développeur Java pour notre plateforme de paiement.\n"
    "Java requis. Spring et Kafka appréciés, Docker est un plus.\n"
)

# Shows Java and Kafka in use; no Spring.
KAFKA_CV = (
    "Développeur Java\n"
    "2019 - 2025 : j'ai développé en Java des services de paiement publiés sur Kafka.\n"
    "Maintenance de la plateforme de paiement de la banque de détail.\n"
)
# Shows Java and Spring in use; no Kafka.
SPRING_CV = (
    "Développeur Java\n"
    "2019 - 2025 : j'ai développé en Java des services de paiement avec Spring.\n"
    "Maintenance des applications bancaires de la banque de détail.\n"
)
USED_CV = (
    "Développeur Java\n"
    "2018 - 2025 : conçu des services de paiement en Java avec Spring et Kafka.\n"
    "Mise en production des services avec Docker.\n"
)
STUFFED_CV = (
    "Développeur\n"
    "Compétences : Java, Spring, Kafka, Docker, Kubernetes, Python, Django, React, Angular, "
    "Vue, TypeScript, Node.js, .NET, C#, C++, Rust, PHP, Symfony, Laravel, SQL, PostgreSQL, "
    "MySQL, MongoDB, Redis, Terraform, Ansible, AWS, Azure, GCP, Jenkins, Git, Linux, "
    "GraphQL, Scrum, DevOps, Kotlin, Scala, Go, Ruby, Swift, Elasticsearch, RabbitMQ, "
    "Spark, Hadoop, Airflow, Tableau, Power BI, SAP, Salesforce, Jira, Spring Boot\n"
)


@pytest.fixture(autouse=True)
def matching_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MATCHING_INDEX_DIR = str(tmp_path / "matching")
    index._cache.clear()
    yield
    index._cache.clear()


def person(org: Organisation, first: str, cv_text: str, **fields) -> Candidate:  # type: ignore[no-untyped-def]
    candidate = Candidate.objects.create(
        organisation=org,
        first_name=first,
        last_name=fields.pop("last_name", "Martin"),
        created_at=T0,
        **fields,
    )
    CV.objects.create(
        organisation_id=org.id, candidate=candidate, file="cvs/x.txt", original_name="cv.txt",
        kind="txt", size=len(cv_text), sha256="0" * 64, text=cv_text, uploaded_at=T0,
    )  # fmt: skip
    return candidate


def job_of(org: Organisation, description: str = JOB_TEXT) -> Job:
    return Job.objects.create(
        organisation=org, title="Développeur Java", description=description, created_at=T0
    )


def scores(org: Organisation, **how) -> dict[int, int]:  # type: ignore[no-untyped-def]
    return {m.candidate: m.score.value for m in rank.rank(org, **how)}


def test_the_same_inputs_give_the_same_scores_twice_and_after_a_rebuild(org):  # type: ignore[no-untyped-def]
    for name, text in [("A", KAFKA_CV), ("B", SPRING_CV), ("C", USED_CV), ("D", STUFFED_CV)]:
        person(org, name, text)
    job = job_of(org)
    first = rank.rank(org, job=job)
    again = rank.rank(org, job=job)
    index._cache.clear()
    Profile.objects.all().delete()  # computed again from the CVs
    index.rebuild(org.id)
    rebuilt = rank.rank(org, job=job)
    assert [(m.candidate, m.score) for m in first] == [(m.candidate, m.score) for m in again]
    assert [(m.candidate, m.score) for m in first] == [(m.candidate, m.score) for m in rebuilt]
    assert len(first) == 4
    assert [m.score.value for m in first] == sorted((m.score.value for m in first), reverse=True)


def test_a_stuffed_skills_line_cannot_reach_100_and_ranks_below_skills_shown_in_use(org):  # type: ignore[no-untyped-def]
    stuffed = person(org, "Sam", STUFFED_CV)
    used = person(org, "Lou", USED_CV)
    values = scores(org, job=job_of(org))
    assert values[stuffed.id] < values[used.id]
    assert values[stuffed.id] < 70
    assert values[used.id] >= 80
    # Even for a job that asks for nothing but what the line lists.
    values = scores(org, text="Développeur\nCompétences requises : Java, Spring, Kafka, Docker.")
    assert values[stuffed.id] < 100
    assert values[stuffed.id] < values[used.id]


def test_marking_a_skill_must_have_changes_the_order(org, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    kafka = person(org, "Kim", KAFKA_CV)
    spring = person(org, "Sol", SPRING_CV)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(org)  # its requirements worked out from its text once it is saved
    weights = dict(Requirement.objects.filter(job=job).values_list("concept", "weight"))
    assert weights == {
        "tech:java": "must",
        "tech:spring": "nice",
        "tech:kafka": "nice",
        "tech:docker": "nice",
    }
    assert [m.candidate for m in rank.rank(org, job=job)] == [kafka.id, spring.id]
    requirements.mark(job, "tech:spring", "must")
    assert [m.candidate for m in rank.rank(org, job=job)] == [spring.id, kafka.id]
    # The recruiter's choice outlives an edit of the job's text.
    job.description = JOB_TEXT + "Anglais courant."
    with django_capture_on_commit_callbacks(execute=True):
        job.save(update_fields=["description"])
    assert Requirement.objects.get(job=job, concept="tech:spring").weight == "must"
    assert [m.candidate for m in rank.rank(org, job=job)] == [spring.id, kafka.id]


def test_a_requirement_taken_off_is_not_brought_back_by_the_text(org):  # type: ignore[no-untyped-def]
    job = job_of(org)
    requirements.refresh(job)
    requirements.drop(job, "tech:docker")
    requirements.refresh(job)
    assert "tech:docker" not in [r.concept for r in requirements.active(job)]
    with pytest.raises(ValueError, match="weight"):
        requirements.mark(job, "tech:java", "essential")


def test_the_score_explains_what_is_found_and_missing(org):  # type: ignore[no-untyped-def]
    spring = person(org, "Sol", SPRING_CV)
    job = job_of(org)
    requirements.mark(job, "tech:kafka", "must")
    (match,) = rank.rank(org, job=job)
    assert match.candidate == spring.id
    assert dict(match.score.matched)["tech:spring"] == (
        "2019 - 2025 : j'ai développé en Java des services de paiement avec Spring."
    )
    assert set(match.score.missing) == {"tech:kafka", "tech:docker"}
    assert match.score.reason == "missing_must"
    assert score.reason_text(match.score, "en") == "Missing a must-have skill: Kafka."
    assert score.reason_text(match.score, "fr") == "Il manque une compétence indispensable : Kafka."


def test_a_french_cv_ranks_for_an_english_offer(org):  # type: ignore[no-untyped-def]
    french = person(org, "Léa", USED_CV)
    person(org, "Sami", "Commercial terrain, prospection et négociation.\n")
    offer = (
        "Java developer\nWe are hiring a Java developer for our payments platform.\n"
        "Java and Spring required, Kafka is a plus.\n"
    )
    found = rank.rank(org, text=offer)
    assert found[0].candidate == french.id
    assert found[0].score.value >= 60


def test_the_profile_is_computed_when_a_cv_is_stored(org, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        lea = person(org, "Léa", USED_CV + "6 ans d'expérience.\nCompétences : Terraform\n")
    profile = Profile.objects.get(cv__candidate=lea)
    assert profile.skills["tech:kafka"]["listed"] is False
    assert profile.skills["tech:terraform"]["listed"] is True
    assert profile.years == 6
    assert "tech:developer" in profile.titles


def test_years_of_experience_are_read_from_the_text_or_the_periods():  # type: ignore[no-untyped-def]
    assert profiles.years_in("10+ years of experience in Java", 2026) == 10
    assert profiles.years_in("2015 - 2019 Acme\n2019 - aujourd'hui Globex", 2026) == 11
    assert profiles.years_in("2015 - 2019 Acme", None) is None


# -- protected attributes take no part ----------------------------------------------------

BODY = (
    "Développeuse Java\n"
    "2018 - 2025 : conçu des services de paiement en Java avec Spring et Kafka.\n"
    "Compétences : Docker, Kubernetes\n"
)
FIRST = ["Léa", "Mohamed", "Jean-Pierre", "Aïcha", "Thi Hoa", "Zoé", "Kevin"]
LAST = ["Martin", "Diallo", "Nguyen", "O'Brien", "Dubois", "Haddad", "Kowalski"]
PERSONAL = [
    "Née le 3 mars 1990",
    "Born on 12/05/1985",
    "Âge : 34 ans",
    "J'ai 52 ans",
    "12 rue des Lilas, 75011 Paris",
    "Nationalité : française",
    "Nationality: Moroccan",
    "Sexe : F",
    "Gender: male",
    "Mariée, 2 enfants",
    "Marital status: single",
    "Photo",
    "lea.martin@example.org | +33 6 12 34 56 78",
]


@pytest.mark.django_db
@given(
    first=st.sampled_from(FIRST),
    last=st.sampled_from(LAST),
    personal=st.lists(st.sampled_from(PERSONAL), max_size=5, unique=True),
    location=st.sampled_from(["", "Paris", "Marseille", "Lille"]),
    country=st.sampled_from(["FR", "MA", "BE"]),
    language=st.sampled_from(["fr", "en"]),
)
def test_protected_attributes_change_no_score(first, last, personal, location, country, language):  # type: ignore[no-untyped-def]
    note(f"{first} {last}: {personal}")
    with tempfile.TemporaryDirectory() as folder, override_settings(MATCHING_INDEX_DIR=folder):
        index._cache.clear()
        with transaction.atomic():
            org = Organisation.objects.create(name="Blind", slug="blind")
            person(org, "Paul", KAFKA_CV)
            person(org, "Rémi", SPRING_CV)
            subject = person(org, "Camille", BODY, last_name="Durand")
            job = job_of(org)
            plain = next(m.score for m in rank.rank(org, job=job) if m.candidate == subject.id)
            header = "\n".join([f"{first} {last}", *personal])
            Candidate.objects.filter(id=subject.id).update(
                first_name=first, last_name=last, location=location, country=country,
                language=language, email=f"{last.lower()}@example.org",
            )  # fmt: skip
            cv = CV.objects.get(candidate=subject)
            cv.text = header + "\n" + BODY
            cv.save(update_fields=["text"])
            Profile.objects.filter(cv=cv).delete()
            index.rebuild(org.id)
            changed = next(m.score for m in rank.rank(org, job=job) if m.candidate == subject.id)
            transaction.set_rollback(True)
        index._cache.clear()
    assert changed.value == plain.value
    assert changed.parts == plain.parts
    assert [c for c, _ in changed.matched] == [c for c, _ in plain.matched]
    assert changed.missing == plain.missing
