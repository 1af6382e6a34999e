"""`relance import FILE`: the reading and the mapping shown, a preview with each line's
problems, a dry run that writes nothing, the import with its summary and the refused lines
written to a CSV with why (formulas escaped), `--map` to change a column, and bad arguments
refused in French and English without a traceback."""

from __future__ import annotations

import csv
import io

import pytest

from relance.cli import main
from relance.people.models import Application, Candidate, Job, Organisation, Recruiter
from tests import importfiles
from tests.test_cli import relance

pytestmark = pytest.mark.django_db
ROWS = [
    ["Marie", "Dupont", "https://www.linkedin.com/in/marie-dupont", "", "Acme", "Dev", "12 Jan 2024"],
    ["=cmd|' /C calc'!A0", "X", "", "", "", "", "soon"],
    ["Jean", "Martin", "", "jean@example.org", "Globex", "CTO", "1705017600000"],
]  # fmt: skip


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    org = Organisation.objects.create(name="Agence", slug="agence")
    Recruiter.objects.create_user(email="claire@agence.example", first_name="Claire",
                                  organisation=org)  # fmt: skip
    return org


def test_it_previews_then_imports_and_writes_the_refused_lines(world, tmp_path, capsys):
    path = tmp_path / "Connections.csv"
    path.write_bytes(importfiles.linkedin_connections(ROWS))
    assert main(["import", str(path), "--preview", "5", "--lang", "en"]) == 0
    said = capsys.readouterr().out
    assert "CSV (utf-8, separator “,”), 3 line(s) after the header (line 4)" in said
    assert "LinkedIn connections export" in said
    assert "Email Address  E-mail" in said
    assert "“soon” is not a date" in said
    assert not Candidate.objects.exists()

    assert main(["import", str(path), "--dry-run", "--lang", "fr"]) == 0
    said = capsys.readouterr().out
    assert "Simulation (--dry-run)" in said
    assert "2 créé(s), 0 mis à jour, 0 inchangé(s), 0 ignoré(s), 1 refusé(s)." in said
    assert not Candidate.objects.exists()

    assert main(["import", str(path), "--by", "claire@agence.example", "--lang", "en"]) == 0
    said = capsys.readouterr().out
    assert "2 created, 0 updated, 0 unchanged, 0 skipped, 1 refused." in said
    assert Candidate.objects.count() == 2
    report = tmp_path / "Connections-refused.csv"
    assert str(report) in said.replace("\n", "")
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["Line", "Reason", "First Name"]
    assert rows[1][0] == "6"
    assert "“soon” is not a date" in rows[1][1]
    assert rows[1][2] == "'=cmd|' /C calc'!A0"  # a formula, escaped in the report

    report.unlink()
    assert main(["import", str(path), "--lang", "en"]) == 0
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out


def test_map_job_and_stage_put_everyone_on_a_job(world, tmp_path, capsys):
    job = Job.objects.create(organisation=world, title="Dev Kotlin", created_at=world.created_at)
    path = tmp_path / "ats.csv"
    path.write_bytes(importfiles.csv_file(["Qui", "Courriel"], [["Ana LIMA", "ana@example.org"]],
                                          separator=";", encoding="cp1252"))  # fmt: skip
    args = ["import", str(path), "--map", "Qui=full_name", "--job", "dev kotlin", "--stage",
            "Entretien", "--tag", "Salon", "--source", "event", "--lang", "en"]  # fmt: skip
    assert main(args) == 0
    ana = Candidate.objects.get()
    assert (ana.first_name, ana.last_name, ana.source, ana.tags) == (
        "Ana",
        "LIMA",
        "event",
        ["salon"],
    )
    assert Application.objects.get().job == job


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--map", "Age=tags"], "--map 'Age': no column of that name"),
        (["--map", "Email Address=salary"], "--map 'Email Address=salary': expected COLUMN=field"),
        (["--job", "Pilote"], "--job 'Pilote': no job of agence"),
        (["--stage", "hired", "--job", "Dev"], "--stage 'hired': expected one of sourced"),
        (["--source", "indeed"], "--source 'indeed': expected one of linkedin"),
    ],
)
def test_bad_arguments_are_refused_without_a_traceback(world, tmp_path, capsys, args, said):
    Job.objects.create(organisation=world, title="Dev", created_at=world.created_at)
    path = tmp_path / "c.csv"
    path.write_bytes(importfiles.linkedin_connections(ROWS))
    assert main(["import", str(path), *args, "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert "Traceback" not in err
    assert not Candidate.objects.exists()


def test_a_file_that_is_not_what_it_claims_is_refused_in_french_by_the_real_command(tmp_path):
    done = relance("setup", "--org-name", "Agence", "--address", "1 rue", "--admin-email",
                   "a@agence.example", "--admin-name", "Anne Bé", "--country", "FR",
                   "--timezone", "Europe/Paris", data_dir=tmp_path,
                   env={"RELANCE_ADMIN_PASSWORD": "correct horse battery"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    fake = tmp_path / "people.xlsx"
    fake.write_text("First name,Email\nAna,ana@example.org\n")
    done = relance("import", str(fake), "--lang", "fr", data_dir=tmp_path)
    assert done.returncode == 2
    assert "porte le nom d'un classeur mais n'en est pas un" in done.stderr
    assert "Traceback" not in done.stderr
