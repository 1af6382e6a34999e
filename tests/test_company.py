"""A candidate's company (current employer): typed on the form in French and English, read
from an import, exported, read and written through the API, chosen field by field in a
merge, and blanked by the anonymisation."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from relance.api import keys
from relance.imports import mapping, reader, service
from relance.imports.service import Options
from relance.people import merge, rights
from relance.people.models import Candidate
from tests import importfiles
from tests.web_world import NOW, T0

pytestmark = pytest.mark.django_db


def test_the_form_takes_the_company_and_the_page_shows_it_in_french(client_of, world):
    client = client_of(world.admin, "fr")
    form = client.get(reverse("web:candidate_new")).content.decode()
    assert 'name="company"' in form
    assert "Entreprise" in form
    answer = client.post(
        reverse("web:candidate_new"),
        {"first_name": "Nina", "source": "linkedin", "email": "nina@example.org",
         "company": "  Société   Générale ", "language": "fr"},
    )  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:2000]
    nina = Candidate.objects.get(email="nina@example.org")
    assert (nina.company, nina.company_key) == ("Société Générale", "societe generale")
    page = client.get(reverse("web:candidate", args=[nina.pk])).content.decode()
    assert "<dt>Entreprise</dt><dd>Société Générale</dd>" in page
    too_long = client.post(
        reverse("web:candidate_new"),
        {"first_name": "Ana", "source": "linkedin", "email": "ana@example.org",
         "company": "x" * 201},
    )  # fmt: skip
    assert too_long.status_code == 400
    assert "201 caractères" in too_long.content.decode()
    assert not Candidate.objects.filter(email="ana@example.org").exists()


@pytest.mark.parametrize("column", ["Company", "Entreprise", "Société", "Current Company"])
def test_an_import_stores_the_company(org, recruiter, column):
    data = importfiles.csv_file(["Prénom", "Nom", "E-mail", column],
                                [["Léa", "Roux", "lea@example.org", "Acme"]])  # fmt: skip
    table = reader.read(data, "people.csv")
    fields = mapping.suggest(table.header)
    assert fields[3] == "company"
    service.run(org, table, fields, Options(), recruiter, datetime(2026, 3, 2, tzinfo=UTC))
    assert Candidate.objects.get(email="lea@example.org").company == "Acme"


def test_a_linkedin_export_brings_the_company(org, recruiter):
    data = importfiles.linkedin_connections(
        [["Marie", "Dupont", "https://www.linkedin.com/in/marie-dupont", "", "Acme", "Dev",
          "12 Jan 2024"]]
    )  # fmt: skip
    table = reader.read(data, "Connections.csv")
    service.run(org, table, mapping.suggest(table.header), Options(), recruiter, NOW)
    assert Candidate.objects.get(last_name="Dupont").company == "Acme"


def test_the_export_has_a_company_column(world, tmp_path, capsys):
    from relance.cli import main

    Candidate.objects.filter(pk=world.lea.pk).update(company="=Evil Corp")
    out = tmp_path / "people.csv"
    assert main(["export", "--org", "test", "--output", str(out), "--columns",
                 "id,company", "--lang", "fr"]) == 0  # fmt: skip
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["N°", "Entreprise"]
    assert [str(world.lea.pk), "'=Evil Corp"] in rows  # escaped like every text cell


def test_the_api_reads_and_writes_the_company(client, world):
    token = keys.create(world.org, "ATS", "write", world.admin, NOW)[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    made = client.post("/api/v1/candidates", {"first_name": "Zoé", "source": "referral",
                       "email": "zoe@example.org", "company": "Globex"},
                       content_type="application/json", **auth)  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["company"] == "Globex"
    pk = made.json()["id"]
    changed = client.patch(f"/api/v1/candidates/{pk}", {"company": "Initech"},
                           content_type="application/json", **auth)  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["company"] == "Initech"
    assert Candidate.objects.get(pk=pk).company_key == "initech"
    bad = client.patch(f"/api/v1/candidates/{pk}", {"company": "x" * 201},
                       content_type="application/json", **auth)  # fmt: skip
    assert bad.status_code == 422
    assert "company" in bad.content.decode()
    assert client.get(f"/api/v1/candidates/{pk}", **auth).json()["company"] == "Initech"


def test_a_merge_chooses_the_company_and_an_anonymisation_blanks_it(world):
    keep = Candidate.objects.create(organisation=world.org, first_name="Ana", company="Acme",
                                    email="ana@example.org", created_at=T0)  # fmt: skip
    other = Candidate.objects.create(organisation=world.org, first_name="Ana",
                                     company="Globex", created_at=T0)  # fmt: skip
    assert "company" in merge.differences(keep, other)
    merge.merge(keep, other, world.admin, NOW, {"company": "other"})
    keep.refresh_from_db()
    assert (keep.company, keep.company_key) == ("Globex", "globex")
    rights.anonymise(keep, NOW)
    keep.refresh_from_db()
    assert (keep.company, keep.company_key) == ("", "")
