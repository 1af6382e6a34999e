"""Export of candidates to CSV and XLSX, read back: columns chosen, formula-looking cells
escaped (OWASP CSV injection), a segment or a pool, the audit log, bad input."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from relance.people import export
from relance.people.models import AuditEntry, Candidate
from relance.pools.models import Pool, Segment
from tests.web_world import T0, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = build()
    w.evil = Candidate.objects.create(
        organisation=w.org, first_name="=HYPERLINK(\"http://x\")", last_name="+33 1",
        desired_role="@SUM(A1)", location="-2+3", tags=["=cmd|' /C calc'!A0"],
        hook="\tx", email="evil@example.org", stars=2, created_at=T0,
    )  # fmt: skip
    return w


def test_escape():
    for dangerous in ("=1+1", "+1", "-1", "@a", "\tx", "\rx"):
        assert export.escape(dangerous) == "'" + dangerous
    assert export.escape("Léa") == "Léa"
    assert export.escape("") == ""


def read_csv(path):
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_command_writes_a_csv_with_the_chosen_columns_and_escaped_cells(world, tmp_path,
                                                                           capsys):  # fmt: skip
    from relance.cli import main

    out = tmp_path / "all.csv"
    assert main(["export", "--org", "test", "--output", str(out), "--columns",
                 "id,first_name,last_name,desired_role,location,tags,stars,owner",
                 "--by", "claire@test.example", "--lang", "en"]) == 0  # fmt: skip
    assert "3 candidate(s) exported" in capsys.readouterr().out
    table = read_csv(out)
    assert table[0] == ["Id", "First name", "Last name", "Desired role", "Location", "Tags",
                        "Stars", "Owner"]  # fmt: skip
    evil = next(r for r in table[1:] if r[0] == str(world.evil.pk))
    assert evil[1:7] == ["'=HYPERLINK(\"http://x\")", "'+33 1", "'@SUM(A1)", "'-2+3",
                         "'=cmd|' /C calc'!A0", "2"]  # fmt: skip
    assert [r[1] for r in table[1:]] == ["Léa", "Paul", '\'=HYPERLINK("http://x")']
    assert "Ghost" not in out.read_text()  # another organisation's
    entry = AuditEntry.objects.get(action="exported")
    assert (entry.actor, entry.detail["rows"], entry.detail["export"]) == (world.admin, 3, "all")
    # The file is never overwritten.
    assert main(["export", "--org", "test", "--output", str(out)]) == 2
    assert "the file exists" in capsys.readouterr().err


def test_an_xlsx_of_a_pool_and_of_a_segment_reads_back(world, tmp_path, capsys):
    from relance.cli import main

    pool = Pool.objects.create(organisation=world.org, name="Java", created_at=T0)
    pool.members.create(organisation=world.org, candidate=world.evil, added_at=T0)
    out = tmp_path / "pool.xlsx"
    assert main(["export", "--org", "test", "--pool", str(pool.pk), "--output", str(out),
                 "--columns", "first_name,email,stars", "--lang", "fr"]) == 0  # fmt: skip
    assert "1 candidat(s) exporté(s)" in capsys.readouterr().out
    sheet = load_workbook(out, read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values == [["Prénom", "E-mail", "Étoiles"],
                      ["'=HYPERLINK(\"http://x\")", "evil@example.org", 2]]  # fmt: skip
    segment = Segment.objects.create(organisation=world.org, name="2 stars",
                                     definition={"field": "stars", "min": 2}, created_at=T0)  # fmt: skip
    out = tmp_path / "segment.csv"
    assert main(["export", "--org", "test", "--segment", str(segment.pk), "--output",
                 str(out), "--columns", "email"]) == 0  # fmt: skip
    assert read_csv(out)[1:] == [["evil@example.org"]]


def test_bad_input_is_named_and_nothing_is_written(world, tmp_path, capsys):
    from relance.cli import main

    out = tmp_path / "x.csv"
    assert main(["export", "--org", "test", "--output", str(out), "--columns", "email,salary",
                 "--lang", "en"]) == 2  # fmt: skip
    assert "columns: salary unknown; expected some of: id, first_name" in capsys.readouterr().err
    assert main(["export", "--org", "test", "--output", str(out), "--pool", "999",
                 "--lang", "fr"]) == 2  # fmt: skip
    assert "--pool 999 : aucun vivier" in capsys.readouterr().err
    assert main(["export", "--org", "test", "--output", str(tmp_path / "x.ods")]) == 2
    assert not out.exists()
    assert not AuditEntry.objects.filter(action="exported").exists()


def test_an_admin_exports_the_lists_filter_a_pool_or_a_segment_from_the_pages(client_of, world):
    client = client_of(world.admin)
    page = client.get("/candidates/?source=linkedin&stars=2").content.decode()
    assert "Export these candidates" in page
    assert '<input type="hidden" name="stars" value="2">' in page
    response = client.get("/candidates/export/?stars=2&columns=first_name&columns=email")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["First name", "E-mail"], ["'=HYPERLINK(\"http://x\")", "evil@example.org"]
    ]  # fmt: skip
    entry = AuditEntry.objects.get(action="exported")
    assert (entry.actor, entry.detail["rows"]) == (world.admin, 1)
    assert entry.detail["export"] == "filter {'stars': '2'}"
    pool = Pool.objects.create(organisation=world.org, name="Java", created_at=T0)
    pool.members.create(organisation=world.org, candidate=world.lea, added_at=T0)
    assert f"/candidates/export/?pool={pool.pk}" in client.get("/pools/").content.decode()
    response = client.get(f"/candidates/export/?pool={pool.pk}&format=xlsx&columns=first_name")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [["First name"], ["Léa"]]
    french = client_of(world.admin, "fr").get("/candidates/export/?columns=salary")
    assert french.status_code == 400
    assert "colonnes : salary inconnue(s)" in french.content.decode()


def test_a_recruiter_or_another_organisation_cannot_export(client_of, world):
    page = client_of(world.recruiter).get("/candidates/").content.decode()
    assert "Export these candidates" not in page
    assert client_of(world.recruiter).get("/candidates/export/").status_code == 404
    pool = Pool.objects.create(organisation=world.org, name="Java", created_at=T0)
    stranger = client_of(world.stranger)
    stranger.force_login(world.stranger)
    from relance.people.models import Recruiter

    Recruiter.objects.filter(pk=world.stranger.pk).update(role="admin")
    assert stranger.get(f"/candidates/export/?pool={pool.pk}").status_code == 404
    everything = stranger.get("/candidates/export/?columns=email")
    assert b"lea@example.org" not in b"".join(everything.streaming_content)


def test_the_export_form_is_in_french(client_of, world):
    page = client_of(world.admin, "fr").get("/candidates/").content.decode()
    assert "Exporter ces candidats" in page
    assert "Colonnes" in page
    assert "Prénom" in page
