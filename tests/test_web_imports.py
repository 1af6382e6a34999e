"""The import page: a file uploaded (its type read from its content, its size refused early),
its columns mapped and editable, the whole-file choices, a preview with each row's problems,
a dry run that writes nothing, the import in batches with a polled progress, the result with
the refused rows to download (formulas escaped); French and English; another organisation
reaches nothing. The run itself is done in line here (imports/runs.py starts a thread in the
web app)."""

from __future__ import annotations

import csv
import html
import io

import pytest

from relance.imports import runs
from relance.imports.models import ImportRun
from relance.people.models import Application, Candidate
from tests import importfiles
from tests.web_world import T0, build

pytestmark = pytest.mark.django_db

ROWS = [
    ["Marie", "Dupont", "https://www.linkedin.com/in/marie-dupont", "", "Acme", "Dev", "12 Jan 2024"],
    ["=cmd|' /C calc'!A0", "X", "", "", "", "", "soon"],
    ["Jean", "Martin", "", "jean@example.org", "Globex", "CTO", "1705017600000"],
]  # fmt: skip


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    """Each test's files in a folder of its own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "files")}},
    }  # fmt: skip
    return tmp_path / "files"


@pytest.fixture(autouse=True)
def in_line(monkeypatch):
    """The run starts once the request commits: here, in the test's own thread."""
    monkeypatch.setattr(runs, "start", lambda pk: runs.work(pk, batch=2))


@pytest.fixture
def world():
    return build()


def post_file(client, data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/imports/", {"file": SimpleUploadedFile(name, data)})


def stored_files(storage) -> list:
    return [p for p in storage.rglob("*") if p.is_file()] if storage.exists() else []


def test_a_linkedin_export_is_mapped_previewed_dry_run_then_imported_in_english(
    client_of, world, storage, django_capture_on_commit_callbacks
):
    client = client_of(world.recruiter)
    assert 'href="/imports/"' in client.get("/candidates/").content.decode()
    response = post_file(client, importfiles.linkedin_connections(ROWS), "Connections.csv")
    assert response.status_code == 302
    run = ImportRun.objects.get(organisation=world.org)
    assert response["Location"] == f"/imports/{run.pk}/"
    assert len(stored_files(storage)) == 1
    page = client.get(f"/imports/{run.pk}/").content.decode()
    assert "CSV (utf-8, separator “,”), 3 row(s) after the header (line 4)" in page
    assert "LinkedIn connections export" in page
    # Each column with its field, editable: URL is the LinkedIn profile.
    assert '<select name="column_2"' in page
    url_select = page.split('<select name="column_2"')[1].split("</select>")[0]
    assert '<option value="linkedin_url" selected>' in url_select
    # The preview: each row's outcome, the refused one with why (the column named).
    assert "Marie Dupont" in page
    assert "Connected On: “soon” is not a date" in page
    assert Candidate.objects.filter(organisation=world.org).count() == 2  # Léa and Paul

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{run.pk}/", _choices(run, action="dry"))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.dry_run, run.created, run.refused) == ("done", True, 2, 1)
    assert Candidate.objects.filter(organisation=world.org).count() == 2  # nothing written
    result = client.get(f"/imports/{run.pk}/").content.decode()
    assert "Dry run: what the import would do" in result
    assert 'data-count="created">2<' in result
    assert len(stored_files(storage)) == 1  # kept: the import may follow

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{run.pk}/", {"action": "import"})
    run.refresh_from_db()
    assert (run.status, run.dry_run, run.done, run.total) == ("done", False, 3, 3)
    assert (run.created, run.updated, run.refused) == (2, 0, 1)
    marie = Candidate.objects.get(organisation=world.org, first_name="Marie")
    assert (marie.linkedin_url, marie.source) == (
        "https://www.linkedin.com/in/marie-dupont",
        "linkedin",
    )
    assert stored_files(storage) == []  # the file is gone once imported
    result = client.get(f"/imports/{run.pk}/").content.decode()
    assert "Import done" in result
    assert f"/imports/{run.pk}/refused.csv" in result

    report = client.get(f"/imports/{run.pk}/refused.csv")
    assert report["Content-Disposition"] == 'attachment; filename="Connections-refused.csv"'
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Line", "Reason", "First Name"]
    assert lines[1][0] == "6"
    assert "“soon” is not a date" in lines[1][1]
    assert lines[1][2] == "'=cmd|' /C calc'!A0"  # a formula, escaped
    # The list of imports shows it; the same file again changes nothing.
    assert "Connections.csv" in client.get("/imports/").content.decode()
    post_file(client, importfiles.linkedin_connections(ROWS), "Connections.csv")
    again = ImportRun.objects.filter(organisation=world.org).latest("pk")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{again.pk}/", _choices(again, action="import"))
    again.refresh_from_db()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def _choices(run: ImportRun, action: str, **more: str) -> dict:
    fields = {f"column_{i}": f for i, f in enumerate(run.mapping)}
    return {**fields, "duplicates": "update", "action": action, **more}


def test_a_semicolon_windows_1252_file_is_read_mapped_by_hand_and_imported_in_french(
    client_of, world, django_capture_on_commit_callbacks
):
    data = importfiles.csv_file(
        ["Nom", "Prénom", "Adresse e-mail", "Téléphone", "Ville", "Remarque"],
        [["Lefèvre", "Hélène", "helene@example.fr", "06 98 76 54 32", "Orléans", "à rappeler"],
         ["Château", "Noël", "pas-un-mail", "", "Nîmes", ""]],
        separator=";", encoding="cp1252",
    )  # fmt: skip
    client = client_of(world.recruiter, "fr")
    response = post_file(client, data, "export ATS.csv")
    run = ImportRun.objects.get(organisation=world.org)
    page = client.get(response["Location"]).content.decode()
    assert "CSV (windows-1252, séparateur « ; »)" in page
    assert "Colonnes" in page
    assert "Aperçu des 2 premières lignes" in page
    assert "Adresse e-mail" in page
    assert "refusée" in page  # “pas-un-mail”, with why
    assert run.mapping[:4] == ["last_name", "first_name", "email", "phone"]
    # The same field for two columns is refused, naming both, and nothing is saved.
    bad = client.post(f"/imports/{run.pk}/", _choices(run, "preview", column_5="email"))
    assert bad.status_code == 400
    assert "déjà donné par la colonne « Adresse e-mail »" in bad.content.decode()
    # Map "Remarque" to the skills, tag everyone, put them on the job as sourced.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/imports/{run.pk}/",
            _choices(run, "import", column_5="skills", tags="Salon 2024, java",
                     job=str(world.job.pk), stage="sourced"),
        )  # fmt: skip
    run.refresh_from_db()
    assert (run.created, run.refused) == (1, 1), run.refusals
    helene = Candidate.objects.get(organisation=world.org, email="helene@example.fr")
    assert (helene.first_name, helene.last_name, helene.location) == (
        "Hélène",
        "Lefèvre",
        "Orléans",
    )
    assert helene.phone == "+33698765432"
    assert helene.tags == ["salon 2024", "java"]
    assert Application.objects.get(candidate=helene, job=world.job).stage == "sourced"
    result = client.get(f"/imports/{run.pk}/").content.decode()
    assert "Import terminé" in result
    report = client.get(f"/imports/{run.pk}/refused.csv").content.decode("utf-8-sig")
    assert report.startswith("Ligne,Motif,Nom")
    assert "pas-un-mail" in report


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "is named like a spreadsheet but is not one"),
     ("fr", "porte le nom d'un classeur mais n'en est pas un")],
)  # fmt: skip
def test_a_file_that_lies_about_its_type_is_refused(client_of, world, storage, language, said):
    response = post_file(client_of(world.recruiter, language), b"First Name,Last Name\nA,B\n",
                         "people.xlsx")  # fmt: skip
    assert response.status_code == 400
    assert said in html.unescape(response.content.decode())
    assert not ImportRun.objects.exists()
    assert stored_files(storage) == []


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "The file has 2 MB: at most 1 MB can be imported at once"),
     ("fr", "Le fichier fait 2 Mo : au plus 1 Mo peuvent être importés d'un coup")],
)  # fmt: skip
def test_a_file_too_large_is_refused_with_its_size(client_of, world, storage, settings,
                                                   language, said):  # fmt: skip
    settings.RELANCE_IMPORT_MAX_BYTES = 1024 * 1024
    big = b"First Name,Last Name\n" + b"Marie,Dupont\n" * (2 * 1024 * 1024 // 13)
    response = post_file(client_of(world.recruiter, language), big, "big.csv")
    assert response.status_code == 400
    assert said in html.unescape(response.content.decode())
    assert not ImportRun.objects.exists()
    assert stored_files(storage) == []


def test_abandoning_deletes_the_file_and_writes_nothing(client_of, world, storage):
    client = client_of(world.recruiter)
    post_file(client, importfiles.linkedin_connections(ROWS), "Connections.csv")
    run = ImportRun.objects.get()
    assert client.post(f"/imports/{run.pk}/abandon/").status_code == 302
    assert not ImportRun.objects.exists()
    assert stored_files(storage) == []
    assert not Candidate.objects.filter(first_name="Marie").exists()


def test_another_organisation_reaches_no_import(
    client_of, world, django_capture_on_commit_callbacks
):
    client = client_of(world.recruiter)
    post_file(client, importfiles.linkedin_connections(ROWS), "Connections.csv")
    run = ImportRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{run.pk}/", _choices(run, action="dry"))
    stranger = client_of(world.stranger)
    assert "Connections.csv" not in stranger.get("/imports/").content.decode()
    for url in (f"/imports/{run.pk}/", f"/imports/{run.pk}/progress/",
                f"/imports/{run.pk}/refused.csv"):  # fmt: skip
        assert stranger.get(url).status_code == 404
    for url in (f"/imports/{run.pk}/", f"/imports/{run.pk}/abandon/"):
        assert stranger.post(url, {"action": "import"}).status_code == 404
    run.refresh_from_db()
    assert (run.status, run.dry_run) == ("done", True)
    assert not Candidate.objects.filter(first_name="Marie").exists()


def test_the_progress_is_polled_and_a_run_whose_thread_died_is_taken_up(
    client_of, world, monkeypatch
):
    """A run stopped after its first batch (its process gone): the page shows where it is,
    and a poll after STALE takes it up from there; each batch and its position are one
    transaction."""
    client = client_of(world.recruiter)
    post_file(client, importfiles.linkedin_connections(ROWS), "Connections.csv")
    run = ImportRun.objects.get()
    client.post(f"/imports/{run.pk}/", _choices(run, action="import"))  # queued, not started
    run.refresh_from_db()
    assert run.status == "queued"
    table = runs.table_of(run)
    ImportRun.objects.filter(pk=run.pk).update(status="running", total=3)
    run.refresh_from_db()
    runs._batch(run, table, runs.options_of(run), table.rows[:2], {})  # the first batch only
    run.refresh_from_db()
    assert (run.done, run.created, run.refused) == (2, 1, 1)
    page = client.get(f"/imports/{run.pk}/").content.decode()
    assert "Import under way" in page
    assert f'hx-get="/imports/{run.pk}/progress/"' in page
    assert '<meta http-equiv="refresh"' in page  # without JavaScript
    assert "2 of 3 rows (66 %)" in page
    # A second thread working from the same position keeps nothing of its batch.
    stale = ImportRun.objects.get(pk=run.pk)
    stale.done = 0
    with pytest.raises(runs._Moved):
        runs._batch(stale, table, runs.options_of(stale), table.rows[2:], {})
    assert not Candidate.objects.filter(first_name="Jean").exists()
    # Its heartbeat old: the next poll takes it up and finishes it.
    ImportRun.objects.filter(pk=run.pk).update(heartbeat=T0)
    fragment = client.get(f"/imports/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    run.refresh_from_db()
    assert (run.status, run.done, run.created, run.refused) == ("done", 3, 2, 1)
    assert fragment["HX-Refresh"] == "true"
    assert Candidate.objects.filter(first_name="Jean").count() == 1
