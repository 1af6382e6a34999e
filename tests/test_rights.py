"""A person's rights: a full export, and an erasure that leaves nothing of them in any
table but a keyed digest — checked model by model."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from relance.engine import Channel, Purpose, Situation
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.intake import documents
from relance.intake.models import SignUp
from relance.messaging.models import InboundMessage, OutboxMessage
from relance.people import rights
from relance.people.models import AuditEntry, Candidate, ErasedPerson
from relance.pools import consent
from relance.pools.models import Pool
from tests.web_world import NOW, T0, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = build()
    lea = w.lea
    services.queue_send(w.email_thread.pk, NOW)  # an e-mail queued for her
    services.record_event(
        Event(EventType.CONSENT_GIVEN, T0, lea, recruiter=w.admin, outcome=Purpose.TALENT_POOL,
              consent_text="J'accepte de rejoindre le vivier."), T0,
    )  # fmt: skip
    services.record_event(
        Event(EventType.STAGE_CHANGED, T0, lea, recruiter=w.admin, job=w.job, outcome="screening"),
        T0,
    )
    consent.record_choices(lea, {"talent_pool", "job_alerts"}, {"job_offers": "monthly"}, T0)
    Pool.objects.create(organisation=w.org, name="Java", created_at=T0).members.create(
        organisation=w.org, candidate=lea, added_at=T0
    )
    # Her CV (a file in storage) and a talent-pool sign-up she confirmed (intake).
    received = documents.receive(SimpleUploadedFile("cv.txt", "Léa Martin, Java".encode()))
    with documents.stored(received, w.org.pk) as name:
        documents.record(lea, received, name, w.admin, T0)
    SignUp.objects.create(organisation=w.org, candidate=lea, purposes=["talent_pool"],
                          language="fr", version="x", created_at=T0, confirmed_at=T0)  # fmt: skip
    for key, candidate in (("<a@example.org>", lea), ("<b@example.org>", None)):
        InboundMessage.objects.create(
            organisation=w.org, received_at=T0, key=key, raw=b"From: lea@example.org\r\n\r\nOui",
            sender="lea@example.org", candidate=candidate, outcome="recorded",
        )  # fmt: skip
    return w


def references_to(candidate_id: int) -> dict[str, int]:
    """Every row of every model that points at the candidate, by model."""
    found = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Candidate:
                count = model._default_manager.filter(**{field.attname: candidate_id}).count()
                if count:
                    found[f"{model.__name__}.{field.name}"] = count
    return found


def test_erasure_leaves_nothing_of_the_person_in_any_table(world):
    lea_id = world.lea.pk
    before = references_to(lea_id)
    # The fixture reaches every kind of row that points at a candidate: a model added
    # later without its place here fails this test until erasure is proven for it too.
    every = {
        f"{model.__name__}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is Candidate
    }
    assert set(before) == every
    assert {"Preference.candidate", "PoolMember.candidate", "CV.candidate"} <= every
    removed = rights.erase(world.lea, world.admin, NOW + timedelta(hours=1))
    assert references_to(lea_id) == {}
    assert not Candidate.objects.filter(pk=lea_id).exists()
    # Her e-mails are gone, matched or not; the queued one is cancelled with the rest.
    assert not InboundMessage.objects.filter(sender="lea@example.org").exists()
    assert not OutboxMessage.objects.filter(to_address__contains="lea@example.org").exists()
    assert removed["emails_received"] == 2
    assert removed["emails_written"] == 1
    # Her name and address appear nowhere any more: only digests and her id in the log.
    for model in apps.get_models():
        for row in model._default_manager.all():
            text = json.dumps(
                {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields},
                default=str,
            )
            assert "lea@example.org" not in text, model.__name__
            assert "linkedin.com/in/lea" not in text, model.__name__
    assert ErasedPerson.objects.filter(organisation=world.org).count() == 2  # e-mail, profile
    assert rights.was_erased(world.org, email="LEA@example.org ")
    assert rights.was_erased(world.org, linkedin="https://www.linkedin.com/in/lea/")
    assert not rights.was_erased(world.other_candidate.organisation, email="lea@example.org")
    entry = AuditEntry.objects.get(action="erased")
    assert (entry.candidate_id, entry.actor) == (lea_id, world.admin)
    # Nobody else lost anything.
    assert Candidate.objects.filter(pk=world.paul.pk).exists()
    assert references_to(world.paul.pk)


def test_the_export_holds_everything_and_is_in_the_audit_log(world):
    data = rights.export(world.lea, world.admin, NOW)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    assert "candidate.json" in names
    assert len([n for n in names if n.startswith("received/")]) == 2
    content = json.loads(archive.read("candidate.json"))
    assert content["candidate"]["email"] == "lea@example.org"
    assert content["applications"][0]["job"] == "Développeur Java"
    assert content["consents"][0]["text"] == "J'accepte de rejoindre le vivier."
    assert len(content["timeline"]) >= 3
    assert content["emails_written"][0]["to_address"].endswith("<lea@example.org>")
    assert {p["topic"]: p["frequency"] for p in content["preferences"]} == {"job_offers": "monthly"}
    assert {m["pool"] for m in content["pools"]} == {"Java"}
    assert AuditEntry.objects.filter(action="exported", candidate_id=world.lea.pk).exists()


def test_the_commands_export_and_erase_with_a_dry_run_first(world, tmp_path, capsys):
    from relance.cli import main

    out = tmp_path / "lea.zip"
    assert main(["export-candidate", "--org", "test", "--email", "lea@example.org",
                 "--output", str(out), "--by", "claire@test.example", "--lang", "en"]) == 0  # fmt: skip
    assert zipfile.is_zipfile(out)
    assert (
        main(["export-candidate", "--org", "test", "--id", str(world.lea.pk), "--output", str(out)])
        == 2
    )
    assert "the file exists" in capsys.readouterr().err
    assert (
        main(["erase-candidate", "--org", "test", "--id", str(world.lea.pk), "--lang", "en"]) == 0
    )
    assert "Add --yes" in capsys.readouterr().out
    assert Candidate.objects.filter(pk=world.lea.pk).exists()
    assert (
        main(
            ["erase-candidate", "--org", "test", "--id", str(world.lea.pk), "--yes", "--lang", "en"]
        )
        == 0
    )
    assert "erased" in capsys.readouterr().out
    assert not Candidate.objects.filter(pk=world.lea.pk).exists()
    assert main(["erase-candidate", "--org", "test", "--email", "nobody@example.org"]) == 2
    assert "no candidate" in capsys.readouterr().err


def test_viewing_a_candidate_is_in_the_audit_log(client, world):
    client.force_login(world.recruiter)
    client.get(f"/candidates/{world.lea.pk}/")
    entry = AuditEntry.objects.get(action="viewed")
    assert (entry.candidate_id, entry.actor) == (world.lea.pk, world.recruiter)


def test_a_person_erased_then_added_again_is_never_contacted(world):
    rights.erase(world.lea, world.admin, NOW)
    again = Candidate.objects.create(
        organisation=world.org, first_name="Léa", email="Lea@Example.org", created_at=NOW
    )
    assert again.do_not_contact_at == NOW
    services.record_event(
        Event(EventType.MESSAGE_SENT, NOW, again, recruiter=world.admin, channel=Channel.EMAIL,
              situation=Situation.FIRST_MESSAGE), NOW,
    )  # fmt: skip
    assert not again.threads.filter(status="open").exists()
    other = Candidate.objects.create(
        organisation=world.org, first_name="Zoé", email="zoe@example.org", created_at=NOW
    )
    assert other.do_not_contact_at is None


def test_an_admin_exports_and_erases_from_the_candidate_page(client, world):
    client.force_login(world.recruiter)  # not an admin
    assert client.post(f"/candidates/{world.lea.pk}/export/").status_code == 404
    assert client.post(f"/candidates/{world.lea.pk}/erase/", {"sure": "1"}).status_code == 404
    client.force_login(world.stranger)  # another organisation
    assert client.post(f"/candidates/{world.lea.pk}/erase/", {"sure": "1"}).status_code == 404
    client.force_login(world.admin)
    page = client.get(f"/candidates/{world.lea.pk}/").content.decode()
    assert "Erase this person" in page or "Effacer cette personne" in page
    response = client.post(f"/candidates/{world.lea.pk}/export/")
    assert response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("candidate.json")
    client.post(f"/candidates/{world.lea.pk}/erase/")  # not confirmed: nothing happens
    assert Candidate.objects.filter(pk=world.lea.pk).exists()
    assert client.post(f"/candidates/{world.lea.pk}/erase/", {"sure": "1"}).status_code == 302
    assert not Candidate.objects.filter(pk=world.lea.pk).exists()
