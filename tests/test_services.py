"""The services: one transaction per event, one voice, near-duplicates, the agenda."""

from datetime import timedelta

import pytest

from relance.engine import Channel, Situation
from relance.followups import agenda, services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread, Touchpoint
from relance.messaging.models import Template
from relance.messaging.outbox import MemoryTransport
from relance.messaging.render import TemplateProblem
from relance.people.models import Application, Candidate, Job, Organisation, Recruiter
from tests.conftest import paris

pytestmark = pytest.mark.django_db

T0 = paris(2026, 3, 2, 9, 0)


def make_candidate(org, ref="c1", **fields):
    values = {
        "first_name": "Léa",
        "last_name": "Martin",
        "email": f"{ref}@example.org",
        "created_at": T0,
    }
    values.update(fields)
    return Candidate.objects.create(organisation=org, external_ref=ref, **values)


def approach(candidate, recruiter, at=T0, channel=Channel.EMAIL, **more):
    event = Event(
        EventType.MESSAGE_SENT, at, candidate, recruiter=recruiter, channel=channel,
        situation=Situation.FIRST_MESSAGE, **more,
    )  # fmt: skip
    return services.record_event(event, now=at)


def test_an_approach_starts_a_thread_with_its_next_step_stored(org, recruiter):
    candidate = make_candidate(org)
    approach(candidate, recruiter)
    thread = Thread.objects.get(candidate=candidate)
    assert thread.status == Thread.Status.OPEN
    assert (thread.next_kind, thread.next_step, thread.next_channel) == ("send", 1, "email")
    assert thread.due_at == T0 + timedelta(days=2)
    assert thread.reason == "followup"
    assert thread.priority is not None
    first = Touchpoint.objects.get(thread=thread)
    assert first.subject  # the approach was written from the template
    assert "Léa" in first.body


def test_an_event_is_all_or_nothing(org, recruiter):
    Template.objects.create(
        organisation=org, name="first_message.0.email", language="fr",
        subject="Hello", body="Bonjour {{ surnom }}", updated_at=T0,
    )  # fmt: skip
    job = Job.objects.create(organisation=org, title="Data Engineer", created_at=T0)
    candidate = make_candidate(org)
    with pytest.raises(TemplateProblem, match="surnom"):
        approach(candidate, recruiter, job=job)
    assert not Application.objects.exists()
    assert not Touchpoint.objects.exists()
    assert not Thread.objects.exists()


def test_a_second_recruiter_is_told_and_must_confirm(org, recruiter):
    other = Recruiter.objects.create_user(
        email="thomas@test.example", first_name="Thomas", organisation=org
    )
    candidate = make_candidate(org)
    approach(candidate, recruiter)
    with pytest.raises(services.OneVoiceConflict, match="Claire Dubois"):
        approach(candidate, other, at=T0 + timedelta(hours=2), confirmed=False)
    assert Thread.objects.count() == 1
    effects = approach(candidate, other, at=T0 + timedelta(hours=3), confirmed=True)
    assert [e.reason for e in effects if e.kind == "alert"] == ["one_voice"]
    assert Thread.objects.filter(status="open").count() == 2


def test_a_near_identical_message_is_held_for_rewriting(org, recruiter):
    other = Recruiter.objects.create_user(
        email="thomas@test.example", first_name="Claire", last_name="Dubois", organisation=org
    )
    candidate = make_candidate(org)
    approach(candidate, recruiter)
    approach(candidate, other, at=T0 + timedelta(days=1))
    first, second = Thread.objects.order_by("pk")
    sent = services.perform_send(first.pk, first.due_at, MemoryTransport())
    assert sent[0].kind == "send"
    second.refresh_from_db()
    effects = services.perform_send(second.pk, second.due_at, MemoryTransport())
    assert effects[0].kind == "task"
    assert effects[0].reason == "near_duplicate"
    second.refresh_from_db()
    assert (second.next_kind, second.reason) == ("task", "near_duplicate")


def test_a_reply_stops_every_open_thread_of_the_candidate(org, recruiter):
    candidate = make_candidate(org)
    approach(candidate, recruiter)
    accepted = Event(
        EventType.INVITATION_ACCEPTED, T0 + timedelta(hours=1), candidate, recruiter=recruiter
    )
    services.record_event(accepted, now=accepted.at)
    reply = Event(
        EventType.REPLY_RECEIVED, T0 + timedelta(hours=5), candidate, channel=Channel.LINKEDIN
    )
    effects = services.record_event(reply, now=reply.at)
    assert sorted(e.situation for e in effects if e.kind == "stop") == [
        "first_message",
        "linkedin_invitation",
    ]
    assert not Thread.objects.filter(status="open").exists()


def test_a_task_that_is_not_due_cannot_be_completed(org, recruiter):
    candidate = make_candidate(org, linkedin_url="https://www.linkedin.com/in/lea")
    approach(candidate, recruiter, channel=Channel.LINKEDIN)
    thread = Thread.objects.get()
    with pytest.raises(services.NotDue):
        services.complete_task(thread.pk, now=T0 + timedelta(hours=1))
    services.complete_task(thread.pk, now=thread.due_at)
    thread.refresh_from_db()
    assert thread.next_step == 2


def test_the_agenda_is_ordered_and_never_shows_another_organisations_candidates(org, recruiter):
    stars = make_candidate(org, "star", stars=3)
    plain = make_candidate(org, "plain", stars=0)
    approach(plain, recruiter, at=T0 - timedelta(hours=1))
    approach(stars, recruiter)
    elsewhere = Organisation.objects.create(name="Other", slug="other")
    stranger = Recruiter.objects.create_user(email="x@other.example", organisation=elsewhere)
    approach(make_candidate(elsewhere, "x"), stranger)
    later = T0 + timedelta(days=3)
    due = agenda.due_threads(org, later)
    assert [t.candidate.external_ref for t in due] == ["star", "plain"]
    assert agenda.count_due(org, later) == 2
    assert agenda.count_due(elsewhere, later) == 1
    assert agenda.due_threads(org, later, recruiter=stranger) == []


def test_the_prepared_message_picks_up_the_previous_one(org, recruiter):
    candidate = make_candidate(org, linkedin_url="https://www.linkedin.com/in/lea")
    approach(candidate, recruiter, channel=Channel.LINKEDIN)
    thread = Thread.objects.get()
    message = services.prepared_message(thread, now=thread.due_at)
    assert message.name == "first_message.1.linkedin"
    assert "lundi 2 mars" in message.body  # the date of the approach, in French
    assert "Léa" in message.body


@pytest.mark.parametrize(
    "body",
    ["Bonjour {{ surnom }}", "Bonjour,\n\n[Votre phrase personnelle ici.]\n\nClaire"],
    ids=["broken", "placeholder"],
)
def test_an_automatic_e_mail_that_cannot_leave_as_written_becomes_a_task(org, recruiter, body):
    """An organisation's follow-up template that cannot be rendered, or that still holds a
    placeholder: that follow-up becomes a task for the recruiter (with why) and the worker
    goes on with the others — it used to fail every cycle."""
    from relance.messaging.models import OutboxMessage
    from relance.worker import Worker

    Template.objects.create(
        organisation=org, name="first_message.1.email", language="fr",
        subject="Re: notre échange", body=body, updated_at=T0,
    )  # fmt: skip
    lea, other = make_candidate(org, "lea"), make_candidate(org, "marc", language="en")
    approach(lea, recruiter)
    approach(other, recruiter)
    due = Thread.objects.get(candidate=lea).due_at
    transport = MemoryTransport()
    Worker(transport=transport, clock=lambda: due).cycle()
    held = Thread.objects.get(candidate=lea)
    assert (held.next_kind, held.reason) == ("task", "unsendable")
    assert not OutboxMessage.objects.filter(candidate=lea).exists()
    assert [m.recipient for m in transport.sent] == ["marc@example.org"]  # the others went on


def test_an_application_is_recorded_even_when_its_receipt_cannot_be_written(org, recruiter):
    from relance.messaging.models import OutboxMessage

    Template.objects.create(
        organisation=org, name="application.ack.email", language="fr",
        subject="Merci", body="Merci !\n\n[Le délai de réponse ici.]", updated_at=T0,
    )  # fmt: skip
    lea = make_candidate(org, "lea")
    effects = services.record_event(Event(EventType.APPLICATION_RECEIVED, T0, lea), T0)
    assert "acknowledgement" not in [e.reason for e in effects]
    assert not OutboxMessage.objects.exists()
    assert set(Thread.objects.filter(candidate=lea).values_list("situation", flat=True)) == {
        "application",
        "answer_deadline",
    }


def test_a_task_held_as_unsendable_can_be_marked_done(org, recruiter):
    """The recruiter wrote that e-mail from their own mailbox: marking it done does not
    render the broken template again (it used to fail with a server error)."""
    from relance.messaging.outbox import MemoryTransport
    from relance.worker import Worker

    Template.objects.create(
        organisation=org, name="first_message.1.email", language="fr",
        subject="Re: notre échange", body="Bonjour {{ surnom }}", updated_at=T0,
    )  # fmt: skip
    lea = make_candidate(org, "lea")
    approach(lea, recruiter)
    thread = Thread.objects.get(candidate=lea)
    Worker(transport=MemoryTransport(), clock=lambda: thread.due_at).cycle()
    services.complete_task(thread.pk, thread.due_at, recruiter=recruiter)
    step = Touchpoint.objects.get(thread=thread, step=1)
    assert (step.kind, step.reason, step.body) == ("message", "unsendable", "")
