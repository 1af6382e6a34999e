"""The BM25 index of the CV bank (matching/index.py): built from the database, incremental,
on disk, one per organisation, and the same scores whatever its history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from relance.intake.models import CV
from relance.matching import index
from relance.matching.text import stems
from relance.people.models import Candidate, Organisation

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

JAVA = "Développeur Java Spring Boot, 6 ans.\nJ'ai conçu des microservices Java avec Kafka."
PYTHON = "Python developer. Built Django REST APIs and data pipelines with PostgreSQL."
SALES = "Commercial terrain, prospection et négociation, gestion d'un portefeuille clients."


@pytest.fixture(autouse=True)
def matching_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MATCHING_INDEX_DIR = str(tmp_path / "matching")
    index._cache.clear()
    yield tmp_path / "matching"
    index._cache.clear()


def person(org: Organisation, first: str, cv_text: str, **fields) -> Candidate:  # type: ignore[no-untyped-def]
    candidate = Candidate.objects.create(
        organisation=org, first_name=first, last_name="Martin", created_at=T0, **fields
    )
    if cv_text:
        add_cv(candidate, cv_text)
    return candidate


def add_cv(candidate: Candidate, cv_text: str, at: datetime = T0) -> CV:
    return CV.objects.create(
        organisation_id=candidate.organisation_id, candidate=candidate, file="cvs/x.txt",
        original_name="cv.txt", kind="txt", size=len(cv_text), sha256="0" * 64, text=cv_text,
        uploaded_at=at,
    )  # fmt: skip


def found(org: Organisation, query: str, limit: int = 10) -> list[int]:
    return [candidate for candidate, _ in index.search(org.id, stems(query), limit)]


def test_it_ranks_the_cvs_that_hold_the_words_first(org):  # type: ignore[no-untyped-def]
    java = person(org, "Léa", JAVA)
    python = person(org, "Paul", PYTHON)
    person(org, "Sami", SALES)
    assert found(org, "java spring kafka") == [java.id]
    assert found(org, "python django postgresql")[0] == python.id
    assert found(org, "cobol") == []


def test_it_is_built_from_the_latest_cv_with_text_and_leaves_the_anonymised_out(org):  # type: ignore[no-untyped-def]
    lea = person(org, "Léa", SALES)
    add_cv(lea, JAVA, at=datetime(2026, 4, 1, tzinfo=UTC))
    add_cv(lea, "", at=datetime(2026, 5, 1, tzinfo=UTC))  # a scanned one: no text
    person(org, "Anne", JAVA, anonymised_at=T0)
    assert found(org, "kafka") == [lea.id]
    assert found(org, "prospection") == []


def test_a_new_cv_is_found_without_a_rebuild(org, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    person(org, "Léa", JAVA)
    assert found(org, "django") == []  # the first search built the index
    with django_capture_on_commit_callbacks(execute=True):
        paul = person(org, "Paul", PYTHON)
    assert found(org, "django") == [paul.id]
    # A changed CV is read again: the old words are no longer found.
    with django_capture_on_commit_callbacks(execute=True):
        add_cv(paul, SALES, at=datetime(2026, 4, 1, tzinfo=UTC))
    assert found(org, "django") == []
    assert found(org, "prospection") == [paul.id]


def test_a_removed_or_erased_candidate_is_never_returned(org, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    lea = person(org, "Léa", JAVA)
    paul = person(org, "Paul", JAVA + "\n" + PYTHON)
    assert set(found(org, "java")) == {lea.id, paul.id}
    with django_capture_on_commit_callbacks(execute=True):
        lea.delete()
    assert found(org, "java") == [paul.id]
    index.remove(org.id, paul.id)
    assert found(org, "java") == []
    # Both removals survive a merge of the delta into the main segment.
    index._merge_now(org.id)
    assert found(org, "java") == []


def test_scores_do_not_depend_on_the_history_of_the_index(org, monkeypatch):  # type: ignore[no-untyped-def]
    people = [person(org, name, text) for name, text in [("A", JAVA), ("B", PYTHON), ("C", SALES)]]
    query = stems("java kafka python django commercial")
    index.rebuild(org.id)
    for candidate, text in [(people[0], PYTHON + "\n" + JAVA), (people[2], JAVA)]:
        add_cv(candidate, text, at=datetime(2026, 4, 1, tzinfo=UTC))
        index.refresh_candidate(org.id, candidate.id)
    CV.objects.filter(candidate=people[1]).delete()
    index.refresh_candidate(org.id, people[1].id)
    incremental = index.search(org.id, query, 10)
    twice = index.search(org.id, query, 10)
    index.rebuild(org.id)
    rebuilt = index.search(org.id, query, 10)
    # The delta merged into a new main segment as soon as it passes its limit.
    monkeypatch.setattr(index, "DELTA_LIMIT", 0)
    index.refresh_candidate(org.id, people[0].id)
    merged = index.search(org.id, query, 10)
    assert people[1].id not in [c for c, _ in rebuilt]
    assert incremental == twice == rebuilt == merged  # to the last bit
    assert len(incremental) == 2


def test_the_index_is_read_from_disk_after_a_restart(org, matching_dir):  # type: ignore[no-untyped-def]
    lea = person(org, "Léa", JAVA)
    assert index.rebuild(org.id) == 1
    before = index.search(org.id, stems("spring"), 5)
    index._cache.clear()  # a new process
    CV.objects.all().delete()  # not read from the database again: from the files
    assert index.search(org.id, stems("spring"), 5) == before
    assert before[0][0] == lea.id
    assert (matching_dir / str(org.id) / "manifest.json").exists()
    segment = index._open(org.id).segments[0]  # type: ignore[union-attr]
    assert segment.rows.__class__.__name__ == "memmap"


def test_another_organisations_cvs_never_appear(org):  # type: ignore[no-untyped-def]
    other = Organisation.objects.create(name="Autre", slug="autre")
    theirs = person(other, "Léa", JAVA)
    ours = person(org, "Paul", PYTHON)
    assert found(org, "java") == []
    assert found(other, "java") == [theirs.id]
    assert found(org, "python") == [ours.id]


def test_an_index_left_by_another_database_is_not_read(org):  # type: ignore[no-untyped-def]
    person(org, "Léa", JAVA)
    index.rebuild(org.id)
    Organisation.objects.filter(id=org.id).update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    CV.objects.all().delete()
    index._cache.clear()
    assert found(org, "java") == []  # rebuilt from this database, which has no CV


def test_the_names_and_protected_details_are_not_indexed(org):  # type: ignore[no-untyped-def]
    person(org, "Marguerite", "Marguerite Martin\nmarguerite@example.org\n" + JAVA)
    assert found(org, "marguerite") == []
    assert found(org, "martin") == []


def test_ties_are_broken_by_candidate_id_and_the_limit_holds(org):  # type: ignore[no-untyped-def]
    same = [person(org, f"P{i}", JAVA) for i in range(5)]
    assert found(org, "kafka", limit=3) == [c.id for c in same[:3]]


def test_the_rebuild_tells_its_progress(org):  # type: ignore[no-untyped-def]
    for i in range(3):
        person(org, f"P{i}", JAVA)
    seen: list[tuple[int, int]] = []
    assert index.rebuild(org.id, progress=lambda done, total: seen.append((done, total))) == 3
    assert seen[-1] == (3, 3)
