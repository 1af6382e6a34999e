"""Importing people (imports/service.py): the preview names each row's problems, the dry
run reports exactly what the import would do and writes nothing, duplicates follow the
file's policy, a second import of the same file changes nothing, dates are read, stages put
people on a job without e-mailing anyone, and a refused row leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from relance.followups.models import Thread, Touchpoint
from relance.imports import dates, mapping, reader, service
from relance.imports.service import Options
from relance.messaging.models import OutboxMessage
from relance.people.models import Application, AuditEntry, Candidate, Job
from tests import importfiles

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
LINKEDIN = [
    ["Marie", "Dupont", "https://www.linkedin.com/in/marie-dupont", "", "Acme", "Dev Java", "12 Jan 2024"],
    ["Jean", "Martin", "https://fr.linkedin.com/in/Jean-Martin/", "Jean@Example.org", "Globex", "CTO", "03 Feb 2023"],
    ["Sans", "Contact", "", "", "Initech", "", "05 Mar 2022"],
]  # fmt: skip


def table_of(data: bytes, name: str = "file.csv") -> tuple[reader.Table, list[str]]:
    table = reader.read(data, name)
    return table, mapping.suggest(table.header)


def import_(org, recruiter, data, options=None, **kwargs):  # type: ignore[no-untyped-def]
    table, fields = table_of(data)
    return service.run(org, table, fields, options or Options(), recruiter, NOW, **kwargs)


def test_a_linkedin_export_is_imported_and_a_second_import_changes_nothing(org, recruiter):
    data = importfiles.linkedin_connections(LINKEDIN)
    with translation.override("en"):
        first = import_(org, recruiter, data)
    assert first.counts == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 0, "refused": 1}
    [refused] = first.refusals
    assert refused.line == 7
    assert "at least one way to reach them" in " ".join(refused.reasons)
    marie = Candidate.objects.get(linkedin_url="https://www.linkedin.com/in/marie-dupont")
    assert (marie.email, marie.source, marie.desired_role) == ("", "linkedin", "Dev Java")
    assert marie.created_at == datetime(2024, 1, 12, tzinfo=UTC)  # known since "Connected On"
    assert marie.owner == recruiter
    jean = Candidate.objects.get(email="Jean@example.org")
    assert jean.linkedin_url == "https://www.linkedin.com/in/jean-martin"
    assert AuditEntry.objects.filter(candidate_id__in=[marie.pk, jean.pk]).count() == 2
    before = list(Candidate.objects.order_by("pk").values())
    audit = AuditEntry.objects.count()

    second = import_(org, recruiter, data)
    assert second.counts["unchanged"] == 2
    assert second.counts["created"] == second.counts["updated"] == 0
    assert list(Candidate.objects.order_by("pk").values()) == before
    assert AuditEntry.objects.count() == audit


def test_the_dry_run_reports_what_the_import_would_do_and_writes_nothing(org, recruiter):
    data = importfiles.linkedin_connections(LINKEDIN)
    dry = import_(org, recruiter, data, dry_run=True)
    assert dry.counts["created"] == 2
    assert dry.counts["refused"] == 1
    assert not Candidate.objects.exists()
    assert not AuditEntry.objects.exists()
    real = import_(org, recruiter, data)
    assert real.counts == dry.counts


def test_the_preview_names_each_rows_problems_in_the_readers_language(org, recruiter):
    data = importfiles.csv_file(
        ["Prénom", "Nom", "E-mail", "Téléphone", "Étape", "Date de candidature"],
        [["Léa", "Moreau", "lea@", "06 12", "Entretien", "31/02/2024"],
         ["Ana", "Lima", "ana@example.org", "", "Bientôt", "12/01/2024"]],
        separator=";", encoding="cp1252",
    )  # fmt: skip
    table, fields = table_of(data)
    job = Job.objects.create(organisation=org, title="Dev", created_at=NOW)
    with translation.override("fr"):
        preview = service.run(org, table, fields, Options(job=job), recruiter, NOW,
                              dry_run=True, rows=table.rows[:20])  # fmt: skip
    lea, ana = preview.outcomes
    assert lea.action == ana.action == "refused"
    assert any(
        r.startswith("Date de candidature: « 31/02/2024 » n'est pas une date") for r in lea.reasons
    )
    said = " ".join(ana.reasons)
    assert "Étape: « Bientôt » n'est pas une étape" in said
    # A row whose date and stage are right has its contact details checked by the service.
    table.rows[0].cells[4:6] = ["Entretien", "12/01/2024"]
    with translation.override("en"):
        again = service.run(org, table, fields, Options(job=job), recruiter, NOW, dry_run=True)
    said = " ".join(again.outcomes[0].reasons)
    assert "E-mail: “lea@” is not an e-mail address" in said
    assert "Téléphone: “06 12” is not a phone number" in said
    assert not Candidate.objects.exists()


@pytest.mark.parametrize(
    ("policy", "counts", "people"),
    [("update", ("updated", 1), 1), ("skip", ("skipped", 1), 1), ("create", ("created", 1), 2)],
)
def test_duplicates_follow_the_files_policy(org, recruiter, policy, counts, people):
    Candidate.objects.create(organisation=org, first_name="Jean", phone="+33612345678",
                             created_at=NOW)  # fmt: skip
    data = importfiles.csv_file(
        ["Name", "Mobile", "City"], [["Jean Martin", "06 12 34 56 78", "Lyon"]]
    )
    with translation.override("en"):
        summary = import_(org, recruiter, data, Options(duplicates=policy))
    assert summary.counts[counts[0]] == counts[1]
    assert Candidate.objects.count() == people
    if policy == "update":
        jean = Candidate.objects.get()
        assert (jean.last_name, jean.location) == ("Martin", "Lyon")
        assert AuditEntry.objects.get().detail["via"] == "import"
    else:
        assert "same phone" in " ".join(summary.outcomes[0].reasons)


def test_create_anyway_cannot_give_one_address_to_two_people(org, recruiter):
    Candidate.objects.create(organisation=org, first_name="Jean", email="jean@example.org",
                             created_at=NOW)  # fmt: skip
    data = importfiles.csv_file(["Name", "Email"], [["Jean Martin", "JEAN@example.org"]])
    summary = import_(org, recruiter, data, Options(duplicates="create"))
    assert summary.counts["refused"] == 1
    assert Candidate.objects.count() == 1


def test_the_same_person_twice_in_a_file_is_imported_once(org, recruiter):
    data = importfiles.csv_file(["First name", "Email"], [["Ana", "ana@example.org"],
                                                          ["Ana", "ANA@example.org"]])  # fmt: skip
    with translation.override("en"):
        summary = import_(org, recruiter, data, batch=1)
    assert summary.counts["created"] == 1
    assert summary.outcomes[1].action == "skipped"
    assert summary.outcomes[1].reasons == ["the same person as line 2."]


def test_a_stage_for_the_file_puts_people_on_the_job_without_e_mailing_them(org, recruiter):
    job = Job.objects.create(organisation=org, title="Dev Kotlin", created_at=NOW)
    data = importfiles.csv_file(["First name", "Email", "Status"],
                                [["Ana", "ana@example.org", "applied"],
                                 ["Léo", "leo@example.org", "Entretien"],
                                 ["Zoé", "zoe@example.org", "Refusé"]])  # fmt: skip
    options = Options(job=job, tags=["Salon 2024"], source="event")
    with translation.override("en"):
        summary = import_(org, recruiter, data, options)
    assert summary.counts["created"] == 2
    assert "an imported person is added at one of" in " ".join(summary.refusals[0].reasons)
    stages = dict(Application.objects.values_list("candidate__first_name", "stage"))
    assert stages == {"Ana": "applied", "Léo": "interview"}
    assert not OutboxMessage.objects.exists()  # no acknowledgement for an old application
    assert Touchpoint.objects.filter(kind="stage_change").count() == 2
    ana = Candidate.objects.get(first_name="Ana")
    assert (ana.source, ana.tags) == ("event", ["salon 2024"])
    # Refused whole: nobody without their application.
    assert not Candidate.objects.filter(first_name="Zoé").exists()
    again = import_(org, recruiter, data, options)
    assert again.counts["unchanged"] == 2
    assert Application.objects.count() == 2
    assert not Thread.objects.filter(situation="rejection").exists()


def test_a_stage_without_a_job_is_refused_saying_what_to_do(org, recruiter):
    data = importfiles.csv_file(
        ["First name", "Email", "Stage"], [["Ana", "ana@example.org", "offer"]]
    )
    with translation.override("en"):
        summary = import_(org, recruiter, data)
    assert "a stage needs a job" in " ".join(summary.refusals[0].reasons)


def test_a_batch_reads_identities_in_one_query(org, recruiter):
    rows = [[f"P{i}", f"p{i}@example.org"] for i in range(40)]
    data = importfiles.csv_file(["First name", "Email"], rows)
    import_(org, recruiter, data)
    table, fields = table_of(data)
    with CaptureQueriesContext(connection) as queries:
        summary = service.run(org, table, fields, Options(), recruiter, NOW, batch=40)
    assert summary.counts["unchanged"] == 40
    identities = [q for q in queries if "LOWER" in q["sql"] and " IN (" in q["sql"]]
    assert len(identities) == 1


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("12 Jan 2024", datetime(2024, 1, 12, tzinfo=UTC)),
        ("12 janv. 2024", datetime(2024, 1, 12, tzinfo=UTC)),
        ("1er mai 2023", datetime(2023, 5, 1, tzinfo=UTC)),
        ("12/01/2024", datetime(2024, 1, 12, tzinfo=UTC)),
        ("12/31/2024", datetime(2024, 12, 31, tzinfo=UTC)),
        ("2024-01-12", datetime(2024, 1, 12, tzinfo=UTC)),
        ("2024-01-12T10:30:00+01:00", datetime(2024, 1, 12, 9, 30, tzinfo=UTC)),
        ("1705017600000", datetime(2024, 1, 12, tzinfo=UTC)),
        ("Jan 12, 2024", datetime(2024, 1, 12, tzinfo=UTC)),
    ],
)
def test_dates_are_read(typed, read):
    assert dates.read_date(typed) == read


@pytest.mark.parametrize("typed", ["31/02/2024", "soon", "12 Foo 2024", "123", "1/1/1800"])
def test_an_unreadable_date_is_refused(typed):
    with pytest.raises(dates.UnreadableDate):
        dates.read_date(typed)


@pytest.mark.parametrize(
    ("full", "split"),
    [("Marie Dupont", ("Marie", "Dupont")), ("DUPONT Marie", ("Marie", "DUPONT")),
     ("Dupont, Marie", ("Marie", "Dupont")), ("Cher", ("Cher", "")),
     ("Jean-Pierre LE GALL", ("Jean-Pierre", "LE GALL"))],
)  # fmt: skip
def test_a_full_name_is_split(full, split):
    assert service.split_name(full) == split
