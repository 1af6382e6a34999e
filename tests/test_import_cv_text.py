"""A CV's text in an imported file (issue 15's stable interface: `relance import FILE.csv`
with a `cv_text` or `CV` column): the text becomes the person's CV (intake.CV, kind "txt",
a file in storage and its text, recorded as intake records an upload, audited); the same
file again adds no second CV; a dry run, a refused row or a failed batch leaves neither a row
nor a file; a CV's cell may be longer than another column's."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from django.core.files.storage import default_storage
from django.utils import translation

from relance.cli import main
from relance.imports import mapping, reader, runs, service
from relance.imports.models import ImportRun
from relance.imports.service import Options
from relance.intake.models import CV
from relance.people.models import AuditEntry, Candidate, Organisation, Recruiter
from tests import importfiles

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
LATER = datetime(2026, 3, 9, 9, tzinfo=UTC)
CV_MARIE = (
    "Marie Dupont\nDéveloppeuse Java\n\nExpérience\n- Spring Boot, Kafka chez Acme (2019–2024)\n"
    "Compétences : Java, Spring, PostgreSQL"
)
CV_JEAN = "Jean Martin\nSoftware engineer\n\n- Built REST APIs in Python and Django"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    """Each test's files in a folder of its own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "files")}},
    }  # fmt: skip
    return tmp_path / "files"


def files_in(folder) -> list:  # type: ignore[no-untyped-def]
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def people_file(cv_column: str = "cv_text", marie: str = CV_MARIE, jean: str = CV_JEAN) -> bytes:
    return importfiles.csv_file(
        ["First name", "Last name", "Email", cv_column],
        [["Marie", "Dupont", "marie@example.org", marie],
         ["Jean", "Martin", "jean@example.org", jean],
         ["Sans", "Contact", "", "A CV of someone who cannot be reached"]],
    )  # fmt: skip


def import_(org, recruiter, data, now=NOW, **kwargs):  # type: ignore[no-untyped-def]
    table = reader.read(data, "people.csv")
    fields = mapping.suggest(table.header)
    return service.run(org, table, fields, Options(), recruiter, now, **kwargs)


@pytest.mark.parametrize("name", ["cv_text", "CV", "CV text", "Texte du CV", "texte-du-CV"])
def test_the_cv_column_is_recognised_under_its_english_and_french_names(name):
    assert mapping.suggest(["Email", name]) == ["email", "cv_text"]


def test_the_text_becomes_the_persons_cv_stored_like_an_uploaded_one(org, recruiter, storage):
    with translation.override("en"):
        summary = import_(org, recruiter, people_file())
    assert summary.counts["created"] == 2
    assert summary.counts["refused"] == 1  # no way to reach them: no person, so no CV
    marie = Candidate.objects.get(email="marie@example.org")
    [cv] = CV.objects.filter(candidate=marie)
    assert (cv.kind, cv.organisation_id, cv.uploaded_by, cv.uploaded_at) == (
        "txt", org.pk, recruiter, NOW)  # fmt: skip
    assert cv.text == CV_MARIE
    assert "developpeuse java" in cv.search_text  # the candidate list's "CV contains"
    assert cv.problem == ""
    with default_storage.open(cv.file.name, "rb") as f:
        stored = f.read()
    assert stored.decode("utf-8") == CV_MARIE
    assert cv.sha256 == hashlib.sha256(stored).hexdigest()
    assert cv.size == len(stored)
    assert cv.file.name.startswith(f"cvs/{org.pk}/")
    assert cv.file.name.endswith(".txt")
    assert AuditEntry.objects.filter(candidate_id=marie.pk, detail__added="cv").count() == 1
    assert len(files_in(storage)) == 2  # Marie's and Jean's: none for the refused row


def test_the_same_file_twice_adds_no_second_cv_and_a_new_text_adds_one(org, recruiter, storage):
    data = people_file("CV")
    import_(org, recruiter, data)
    assert CV.objects.count() == 2
    audit = AuditEntry.objects.count()

    again = import_(org, recruiter, data, now=LATER)
    assert again.counts["unchanged"] == 2
    assert again.counts["created"] == again.counts["updated"] == 0
    assert CV.objects.count() == 2
    assert AuditEntry.objects.count() == audit
    assert len(files_in(storage)) == 2

    # The same text written with other line ends and trailing spaces is the same CV.
    same = import_(org, recruiter, people_file("CV", marie=CV_MARIE.replace("\n", "  \r\n")))
    assert same.counts["unchanged"] == 2

    changed = import_(org, recruiter, people_file("CV", marie=CV_MARIE + "\nAnglais courant"),
                      now=LATER)  # fmt: skip
    assert changed.counts["updated"] == 1
    assert changed.counts["unchanged"] == 1
    marie = Candidate.objects.get(email="marie@example.org")
    latest = CV.objects.filter(candidate=marie).latest("uploaded_at")
    assert latest.text.endswith("Anglais courant")
    assert latest.uploaded_at == LATER
    assert CV.objects.filter(candidate=marie).count() == 2


def test_an_empty_cv_cell_adds_nothing_to_a_known_person(org, recruiter, storage):
    import_(org, recruiter, people_file())
    again = import_(org, recruiter, people_file(marie="  ", jean=""))
    assert again.counts["unchanged"] == 2
    assert CV.objects.count() == 2


def test_a_dry_run_writes_no_cv_and_leaves_no_file(org, recruiter, storage):
    dry = import_(org, recruiter, people_file(), dry_run=True)
    assert dry.counts["created"] == 2
    assert not CV.objects.exists()
    assert not Candidate.objects.exists()
    assert files_in(storage) == []
    real = import_(org, recruiter, people_file())
    assert real.counts == dry.counts
    assert CV.objects.count() == 2


def test_a_batch_that_fails_leaves_no_file_behind(org, recruiter, storage, monkeypatch):
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the database went away")

    # The failure comes after the batch's CVs were written: their files must go.
    original = service._batch

    def batch_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)
        broken()

    monkeypatch.setattr(service, "_batch", batch_then_fail)
    with pytest.raises(RuntimeError):
        import_(org, recruiter, people_file())
    assert not CV.objects.exists()
    assert files_in(storage) == []


def test_a_cv_cell_may_be_long_but_not_endless_and_other_cells_keep_their_limit(org, recruiter):
    long_cv = "Java Spring Kafka. " * 2_000  # 38,000 characters
    assert len(long_cv) > reader.MAX_CELL
    table = reader.read(people_file(marie=long_cv), "people.csv")
    assert len(table.rows[0].cells[3]) == len(long_cv)
    with translation.override("en"), pytest.raises(reader.ImportProblem) as endless:
        reader.read(people_file(marie="x" * (reader.MAX_CV_CELL + 1)), "people.csv")
    assert "Line 2, column 4 has 100001 characters: at most 100000." in str(endless.value)
    with translation.override("fr"), pytest.raises(reader.ImportProblem) as other:
        reader.read(importfiles.csv_file(["Email", "Notes"], [["a@example.org", long_cv]]), "x.csv")
    assert "Ligne 2, colonne 2" in str(other.value)
    assert "10000" in str(other.value)


def test_an_xlsx_cv_column_is_imported_too(org, recruiter):
    data = importfiles.xlsx_file(
        [["Prénom", "Email", "Texte du CV"], ["Léa", "lea@example.org", "x" * 12_000]]
    )
    table = reader.read(data, "people.xlsx")
    assert mapping.suggest(table.header) == ["first_name", "email", "cv_text"]
    summary = service.run(org, table, mapping.suggest(table.header), Options(), recruiter, NOW)
    assert summary.counts["created"] == 1
    assert len(CV.objects.get().text) == 12_000
    with pytest.raises(reader.ImportProblem):
        reader.read(
            importfiles.xlsx_file([["Email", "Notes"], ["a@b.org", "x" * 12_000]]), "x.xlsx"
        )


def test_relance_import_reads_the_cv_column(tmp_path, capsys):
    org = Organisation.objects.create(name="Agence", slug="agence")
    Recruiter.objects.create_user(email="claire@agence.example", first_name="Claire",
                                  organisation=org)  # fmt: skip
    path = tmp_path / "people.csv"
    path.write_bytes(people_file("Texte du CV"))
    assert main(["import", str(path), "--preview", "3", "--lang", "fr"]) == 0
    assert "Texte du CV" in capsys.readouterr().out
    assert main(["import", str(path), "--by", "claire@agence.example", "--lang", "en"]) == 0
    assert "2 created" in capsys.readouterr().out
    assert CV.objects.count() == 2
    assert main(["import", str(path), "--by", "claire@agence.example", "--lang", "en"]) == 0
    assert "2 unchanged" in capsys.readouterr().out
    assert CV.objects.count() == 2


def test_the_pages_run_removes_the_files_of_a_batch_another_thread_moved(org, recruiter, storage):
    """The import page works a batch per transaction (imports/runs.py): a batch rolled back
    because another thread moved the run leaves neither CV rows nor their files."""
    data = people_file()
    table = reader.read(data, "people.csv")
    run = ImportRun.objects.create(
        organisation=org, recruiter=recruiter, file_name="people.csv", digest="x",
        status="running", mapping=mapping.suggest(table.header), total=3, created_at=NOW,
    )  # fmt: skip
    stale = ImportRun.objects.get(pk=run.pk)
    stale.done = 1  # this thread thinks a batch was done: the run has not moved so far
    with pytest.raises(runs._Moved):
        runs._batch(stale, table, runs.options_of(stale), table.rows, {})
    assert not CV.objects.exists()
    assert files_in(storage) == []
    runs._batch(run, table, runs.options_of(run), table.rows, {})
    assert CV.objects.count() == 2
    assert len(files_in(storage)) == 2
