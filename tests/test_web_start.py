"""Starting a follow-up by e-mail from the candidate page: the first e-mail really leaves
from Relance (the default), or is recorded as sent from the recruiter's own mailbox — never
a "sent" e-mail with a Message-ID of ours that nothing sent (issue 12)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from relance import clock
from relance.followups.models import Thread, Touchpoint
from relance.messaging.models import OutboxMessage
from relance.messaging.outbox import MemoryTransport
from relance.people.models import Candidate
from relance.worker import Worker
from tests.web_world import NOW

pytestmark = pytest.mark.django_db


def start(client, person, **data):
    url = reverse("web:candidate_act", args=[person.pk, "start"])
    return client.post(url, {"situation": "first_message", "channel": "email", **data})


@pytest.fixture
def anna(world):
    return Candidate.objects.create(
        organisation=world.org, first_name="Anna", last_name="Roux", email="anna@example.org",
        created_at=NOW,
    )  # fmt: skip


def test_a_first_e_mail_started_from_the_page_leaves_from_relance(client_of, world, anna):
    client = client_of(world.admin)
    page = client.get(reverse("web:candidate", args=[anna.pk])).content.decode()
    assert 'name="how" value="send" checked' in page
    start(client, anna)
    thread = Thread.objects.get(candidate=anna)
    assert not Touchpoint.objects.filter(candidate=anna).exists()  # nothing left yet
    assert (thread.next_kind, thread.next_step) == ("send", 0)
    transport = MemoryTransport()
    Worker(transport=transport, clock=clock.now).cycle()
    to_anna = [m for m in transport.sent if m.recipient == "anna@example.org"]
    assert len(to_anna) == 1
    sent = Touchpoint.objects.get(candidate=anna, thread=thread)
    assert sent.step == 0
    assert sent.message_id == to_anna[0].message_id  # ours: a reply finds it
    thread.refresh_from_db()
    assert (thread.next_kind, thread.next_step) == ("send", 1)  # the follow-up is planned


def test_a_first_e_mail_written_on_the_page_leaves_as_written(client_of, world, anna):
    client = client_of(world.admin)
    start(client, anna, subject="Un poste pour vous", body="Bonjour Anna, un poste de lead…")
    row = OutboxMessage.objects.get(candidate=anna)
    assert (row.subject, row.by_hand, row.step) == ("Un poste pour vous", True, 0)
    transport = MemoryTransport()
    Worker(transport=transport, clock=clock.now).cycle()
    to_anna = [m for m in transport.sent if m.recipient == "anna@example.org"]
    assert len(to_anna) == 1
    text = to_anna[0].message().get_payload(decode=True).decode()
    assert "un poste de lead" in text
    assert "Pourquoi ce message" in text  # the information notice of a first contact


def test_an_e_mail_sent_from_ones_own_mailbox_is_recorded_without_a_message_id_of_ours(
    client_of, world, anna
):
    client = client_of(world.admin)
    start(client, anna, how="sent")
    first = Touchpoint.objects.get(candidate=anna)
    assert (first.kind, first.direction, first.message_id) == ("message", "out", "")
    assert not OutboxMessage.objects.filter(candidate=anna).exists()
    Worker(transport=MemoryTransport(), clock=clock.now).cycle()
    assert not OutboxMessage.objects.filter(candidate=anna).exists()  # nothing leaves now


def test_half_a_message_or_no_address_is_refused_in_the_readers_language(client_of, world, anna):
    client = client_of(world.admin, "fr")
    response = start(client, anna, subject="Seulement un objet")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Écrivez un objet et un message, ou aucun des deux" in page
    assert not Thread.objects.filter(candidate=anna).exists()
    Candidate.objects.filter(pk=anna.pk).update(email="")
    page = client.get(start(client, anna)["Location"]).content.decode()
    assert "pas d&#x27;adresse e-mail" in page or "pas d'adresse e-mail" in page
    assert not Thread.objects.filter(candidate=anna).exists()


def test_a_call_logged_on_today_after_its_hours_is_refused_with_why(client_of, world):
    """Paul's call is due since Monday; at 19:30 the calling hours are over: the click
    says so (it used to say nothing useful, or record a call at any hour)."""
    from tests.conftest import paris

    clock.start_at(paris(2026, 3, 4, 19, 30))
    client = client_of(world.admin)
    url = reverse("web:thread_act", args=[world.call_thread.pk, "call"])
    row = client.post(url, {"outcome": "no_answer"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Not done: Waiting: outside calling hours (09:00–19:00" in row
    assert not Touchpoint.objects.filter(thread=world.call_thread, kind="call").exists()


def test_a_form_sent_twice_sends_one_first_e_mail(client_of, world, anna):
    client = client_of(world.admin, "fr")
    start(client, anna)
    again = client.get(start(client, anna)["Location"]).content.decode()
    assert "Vous suivez déjà cette personne" in again
    thread = Thread.objects.get(candidate=anna)
    assert not Touchpoint.objects.filter(candidate=anna).exists()  # no fake "sent" step
    transport = MemoryTransport()
    Worker(transport=transport, clock=clock.now).cycle()
    assert [m.recipient for m in transport.sent].count("anna@example.org") == 1
    assert Touchpoint.objects.get(thread=thread).step == 0


def test_another_recruiters_due_step_is_never_taken_by_a_start(client_of, world):
    """Léa's follow-up by Claire is due; Marc starts a follow-up of his own: he is asked to
    confirm (one voice), and Claire's step stays hers, not done by his message."""
    claire_thread = world.email_thread
    client = client_of(world.recruiter)
    response = start(client, world.lea, how="sent")  # an e-mail he sent himself
    assert "confirm=1" in response["Location"]
    claire_thread.refresh_from_db()
    assert claire_thread.next_step == 1
    assert not Touchpoint.objects.filter(thread=claire_thread, step=1).exists()


def test_a_call_on_the_timeline_says_it_was_made_and_how_it_went(client_of, world):
    """It read "Appel · Appel · envoyé": a call is made, not sent, and its outcome shows."""
    from relance.followups import services
    from relance.followups.events import Event, EventType

    services.record_event(
        Event(EventType.CALL, NOW, world.paul, recruiter=world.admin, outcome="no_answer"), NOW
    )
    client = client_of(world.admin, "fr")
    page = client.get(reverse("web:candidate", args=[world.paul.pk])).content.decode()
    timeline = page.split('class="timeline"')[1].split("</ol>")[0]
    call = next(item for item in timeline.split("<li")[1:] if "Appel" in item)
    assert "passé" in call
    assert "envoyé" not in call
    assert call.count("Appel") == 1
