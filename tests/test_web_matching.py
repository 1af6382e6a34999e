"""The job page's matching: the panel of candidates ranked for the job (score, reason,
requirements found with their CV line, the missing ones, who may be contacted), and the
job's requirements marked, added and taken off by the recruiter (docs/matching.md)."""

from __future__ import annotations

import re

import pytest

from relance.intake.models import CV
from relance.matching import index
from relance.matching.models import Requirement
from relance.people.models import AuditEntry, Candidate, Consent, Job
from tests.web_world import NOW, T0, World, build

JOB_TEXT = (
    "Nous recherchons un développeur Java pour notre plateforme de paiement.\n"
    "Compétences requises : Java.\n"
    "Un plus : Kafka, Spring, Docker."
)
# One shows Java and Spring in use; the other Java, Kafka and Docker, but no Spring: with
# Spring nice-to-have the second leads, with Spring a must-have the first.
SPRING = (
    "Développeur Java.\nChez Acme, j'ai développé la plateforme de paiement en Java avec Spring."
)
KAFKA = (
    "Développeur Java.\n"
    "Chez Acme, j'ai développé les flux de paiement en Java avec Kafka et Docker."
)
SALES = "Commercial terrain, prospection et négociation, gestion d'un portefeuille clients."


@pytest.fixture(autouse=True)
def matching_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MATCHING_INDEX_DIR = str(tmp_path / "matching")
    index._cache.clear()
    yield
    index._cache.clear()


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    from relance import clock

    clock.start_at(NOW)
    w = build()
    w.job.description = JOB_TEXT
    w.job.save(update_fields=["description"])
    from relance.matching import requirements

    requirements.refresh(w.job)
    yield w
    clock.start_at(None)


def person(world: World, first: str, cv_text: str, consent: bool = True, **fields) -> Candidate:  # type: ignore[no-untyped-def]
    candidate = Candidate.objects.create(
        organisation=world.org, first_name=first, last_name="Morel", created_at=T0,
        email=f"{first.lower()}@example.org", **fields,
    )  # fmt: skip
    CV.objects.create(
        organisation=world.org, candidate=candidate, file="cvs/x.txt", original_name="cv.txt",
        kind="txt", size=len(cv_text), sha256="0" * 64, text=cv_text, uploaded_at=T0,
    )  # fmt: skip
    if consent:
        Consent.objects.create(
            organisation=world.org, candidate=candidate, purpose="job_alerts", given_at=T0
        )
    return candidate


def order(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-candidate="(\d+)"', page)]


def scores(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-score="(\d+)"', page)]


def weights(job: Job) -> dict[str, str]:
    return dict(Requirement.objects.filter(job=job, active=True).values_list("concept", "weight"))


def test_the_panel_lists_the_ranked_cvs_with_score_and_reason_in_english_and_french(
    client_of, world
):
    kafka = person(world, "Anna", KAFKA)
    spring = person(world, "Bruno", SPRING)
    person(world, "Chloé", SALES)
    client = client_of(world.recruiter)  # a recruiter, not only an administrator
    page = client.get(f"/jobs/{world.job.pk}/matches/").content.decode()
    assert "Matching candidates" in page
    assert order(page)[:2] == [kafka.pk, spring.pk]
    assert scores(page) == sorted(scores(page), reverse=True)
    assert scores(page)[0] > 50
    assert f"/candidates/{kafka.pk}/" in page
    assert "Anna Morel" in page
    assert "out of 100" in page  # the score said for screen readers
    assert "Missing: Spring" in page
    # The requirement found, with the CV line that shows it.
    assert (
        "Chez Acme, j&#x27;ai développé les flux de paiement en Java avec Kafka et Docker." in page
    )
    assert "May receive the job now" in page
    assert 'name="ids"' in page
    page = client_of(world.recruiter, "fr").get(f"/jobs/{world.job.pk}/matches/").content.decode()
    assert "Candidats correspondants" in page
    assert "Peut recevoir le poste maintenant" in page
    assert "Manque" in page
    assert order(page)[:2] == [kafka.pk, spring.pk]


def test_marking_spring_must_have_puts_the_cv_that_shows_it_first(client_of, world):
    kafka = person(world, "Anna", KAFKA)
    spring = person(world, "Bruno", SPRING)
    client = client_of(world.recruiter)
    assert weights(world.job)["tech:spring"] == "nice"
    before = order(client.get(f"/jobs/{world.job.pk}/matches/").content.decode())
    assert before == [kafka.pk, spring.pk]
    answer = client.post(
        f"/jobs/{world.job.pk}/requirements/mark/", {"concept": "tech:spring", "weight": "must"}
    )
    assert answer.status_code == 302
    assert answer["Location"].endswith("#requirements")
    assert weights(world.job)["tech:spring"] == "must"
    assert Requirement.objects.get(job=world.job, concept="tech:spring").origin == "recruiter"
    after = order(client.get(f"/jobs/{world.job.pk}/matches/").content.decode())
    assert after == [spring.pk, kafka.pk]
    entry = AuditEntry.objects.filter(job=world.job, action="job_changed").latest("pk")
    assert entry.detail["requirement"] == "tech:spring"
    assert entry.detail["weight"] == ["nice", "must"]
    assert entry.actor == world.recruiter


def test_with_htmx_a_mark_answers_the_requirements_and_a_panel_to_rank_again(client_of, world):
    person(world, "Anna", KAFKA)
    client = client_of(world.recruiter, "fr")
    page = client.post(
        f"/jobs/{world.job.pk}/requirements/mark/",
        {"concept": "tech:spring", "weight": "must"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Spring est maintenant indispensable." in page
    assert f'hx-get="/jobs/{world.job.pk}/matches/" hx-trigger="load"' in page
    assert 'data-concept="tech:spring" data-weight="must"' in page


def test_a_requirement_is_added_by_name_in_either_language_and_taken_off(client_of, world):
    client = client_of(world.recruiter)
    client.post(f"/jobs/{world.job.pk}/requirements/add/", {"name": "Kubernetes", "weight": "nice"})
    client.post(f"/jobs/{world.job.pk}/requirements/add/", {"name": "gestion de projet"})
    found = weights(world.job)
    assert found["tech:kubernetes"] == "nice"
    assert found["tech:project-management"] == "must"
    page = client.get(f"/jobs/{world.job.pk}/").content.decode()
    assert "Project management" in page
    assert "set by a recruiter" in page
    client.post(f"/jobs/{world.job.pk}/requirements/remove/", {"concept": "tech:kafka"})
    assert "tech:kafka" not in weights(world.job)
    assert 'data-concept="tech:kafka"' not in client.get(f"/jobs/{world.job.pk}/").content.decode()
    # A later edit of the job's text keeps the recruiter's choices.
    from relance.matching import requirements

    world.job.description = JOB_TEXT + "\nKafka est indispensable."
    world.job.save(update_fields=["description"])
    requirements.refresh(world.job)
    assert "tech:kafka" not in weights(world.job)
    assert weights(world.job)["tech:kubernetes"] == "nice"
    assert AuditEntry.objects.filter(job=world.job, action="job_changed").count() == 3


def test_an_unknown_skill_is_refused_with_a_clear_message_and_nothing_changes(client_of, world):
    before = weights(world.job)
    client = client_of(world.recruiter, "fr")
    answer = client.post(
        f"/jobs/{world.job.pk}/requirements/add/", {"name": "Zorglubisme"}, HTTP_HX_REQUEST="1"
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "« Zorglubisme » n&#x27;est pas une compétence que Relance connaît" in page
    assert 'aria-invalid="true"' in page
    assert 'value="Zorglubisme"' in page
    answer = client_of(world.recruiter).post(
        f"/jobs/{world.job.pk}/requirements/add/", {"name": "Zorglubisme"}, follow=True
    )
    assert "is not a skill Relance knows" in answer.content.decode()
    bad = client.post(
        f"/jobs/{world.job.pk}/requirements/mark/", {"concept": "tech:java", "weight": "very"}
    )
    assert bad.status_code == 400
    bad = client.post(
        f"/jobs/{world.job.pk}/requirements/mark/", {"concept": "tech:cobol", "weight": "must"}
    )
    assert bad.status_code == 400
    assert weights(world.job) == before
    assert not AuditEntry.objects.filter(job=world.job, action="job_changed").exists()


def test_who_may_not_be_contacted_says_why_and_has_no_box(client_of, world):
    kafka = person(world, "Anna", KAFKA, do_not_contact_at=T0)
    spring = person(world, "Bruno", SPRING, consent=False)
    page = client_of(world.recruiter).get(f"/jobs/{world.job.pk}/matches/").content.decode()
    assert "Not to be contacted now: Do not contact" in page
    assert "Not to be contacted now: No consent for this purpose" in page
    assert f'value="{kafka.pk}" form' not in page
    assert f'value="{spring.pk}" form' not in page


def test_select_five_ticks_the_first_five_who_may_be_contacted(client_of, world):
    people = [person(world, f"P{n}", KAFKA, consent=n != 1) for n in range(7)]
    page = client_of(world.recruiter).get(f"/jobs/{world.job.pk}/matches/?select=5")
    ticked = re.findall(r'value="(\d+)" form="send-job" checked', page.content.decode())
    ranked = sorted(p.pk for p in people)  # the same score: by candidate id
    assert [int(pk) for pk in ticked] == [pk for pk in ranked if pk != people[1].pk][:5]


def test_show_more_pages_further_down_the_ranking(client_of, world):
    people = [person(world, f"P{n}", KAFKA) for n in range(23)]
    client = client_of(world.recruiter)
    first = client.get(f"/jobs/{world.job.pk}/matches/").content.decode()
    assert len(order(first)) == 20
    assert "?after=20" in first
    more = client.get(f"/jobs/{world.job.pk}/matches/?after=20", HTTP_HX_REQUEST="1")
    rest = order(more.content.decode())
    assert order(first) + rest == sorted(p.pk for p in people)
    assert "?after=" not in more.content.decode()
    assert client.get(f"/jobs/{world.job.pk}/matches/?after=x").status_code == 400


def test_with_no_cv_yet_the_panel_says_how_cvs_arrive(client_of, world):
    page = client_of(world.recruiter, "fr").get(f"/jobs/{world.job.pk}/matches/").content.decode()
    assert "relance import" in page
    assert "cv_text" in page


def test_the_job_page_lists_the_requirements_and_links_to_the_panel(client_of, world):
    page = client_of(world.recruiter).get(f"/jobs/{world.job.pk}/").content.decode()
    assert "What the job requires" in page
    assert f'href="/jobs/{world.job.pk}/matches/"' in page  # without JavaScript
    assert re.search(r'data-concept="tech:java" data-weight="must"', page)


def test_another_organisations_job_is_not_found(client_of, world):
    person(world, "Anna", KAFKA)
    client = client_of(world.stranger)
    pk = world.job.pk
    assert client.get(f"/jobs/{pk}/matches/").status_code == 404
    for action, data in (
        ("add", {"name": "Java"}),
        ("mark", {"concept": "tech:java", "weight": "nice"}),
        ("remove", {"concept": "tech:java"}),
    ):
        assert client.post(f"/jobs/{pk}/requirements/{action}/", data).status_code == 404
    assert weights(world.job)["tech:java"] == "must"


def test_the_selected_become_a_draft_campaign_scheduled_from_its_page(client_of, world):
    from relance.pools.models import Campaign

    anna = person(world, "Anna", KAFKA)
    bruno = person(world, "Bruno", SPRING)
    client = client_of(world.recruiter, "fr")
    sent = client.post(f"/jobs/{world.job.pk}/send/", {"ids": [anna.pk, bruno.pk]})
    draft = Campaign.objects.get(job=world.job)
    assert sent["Location"] == f"/campaigns/{draft.pk}/"
    page = client.get(sent["Location"]).content.decode()
    assert 'data-testid="schedule"' in page
    assert "Programmer" in page
    refused = client.post(f"/campaigns/{draft.pk}/schedule/", {"at": "2026-03-01T09:00"})
    assert "déjà passé" in client.get(refused["Location"]).content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    client.post(f"/campaigns/{draft.pk}/schedule/", {"at": "2026-03-05T09:00"})
    draft.refresh_from_db()
    assert draft.status == "scheduled"
    assert 'data-testid="schedule"' not in client.get(f"/campaigns/{draft.pk}/").content.decode()
    again = client.post(f"/campaigns/{draft.pk}/schedule/", {"at": ""})
    assert again.status_code == 302
