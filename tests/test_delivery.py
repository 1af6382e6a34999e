"""Delivery through a real SMTP server on loopback: once, threaded, with the rules checked
again at the last moment, and every failure recorded for what it is."""

from datetime import timedelta
from email.header import decode_header, make_header

import pytest

from relance.engine import Channel
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Touchpoint
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage
from tests.conftest import approach, paris

pytestmark = pytest.mark.django_db(transaction=True)

T0 = paris(2026, 3, 2, 9, 0)


def deliver_due(transport, now):
    effects = []
    for pk in outbox.claim(now, "test-worker"):
        effects += outbox.deliver(pk, transport, now)
    return effects


def test_a_follow_up_leaves_once_as_a_reply_in_the_thread(org, recruiter, smtp, transport):
    _, thread = approach(org, recruiter)
    approach_id = Touchpoint.objects.get(thread=thread, step=0).message_id
    row, _ = services.queue_send(thread.pk, thread.due_at)
    assert row is not None
    assert row.status == "pending"
    effects = deliver_due(transport, thread.due_at)
    assert [e.kind for e in effects][:1] == ["send"]
    assert len(smtp.received) == 1
    sent = smtp.received[0]
    assert sent["Message-ID"] == row.message_id
    assert sent["In-Reply-To"] == approach_id
    assert sent["References"] == approach_id
    assert str(make_header(decode_header(sent["Subject"]))).startswith("Re: Une idée pour")
    assert sent["To"] == "lea@example.org"
    row.refresh_from_db()
    assert row.status == "sent"
    step = Touchpoint.objects.get(thread=thread, step=1)
    assert step.message_id == row.message_id
    # Claiming again finds nothing: delivered exactly once.
    assert deliver_due(transport, thread.due_at + timedelta(hours=1)) == []
    assert len(smtp.received) == 1


def test_an_answer_between_writing_and_sending_cancels_the_message(org, recruiter, smtp, transport):
    candidate, thread = approach(org, recruiter)
    services.queue_send(thread.pk, thread.due_at)
    reply = Event(
        EventType.REPLY_RECEIVED,
        thread.due_at + timedelta(seconds=1),
        candidate,
        channel=Channel.EMAIL,
    )
    services.record_event(reply, reply.at)
    deliver_due(transport, thread.due_at + timedelta(seconds=2))
    assert smtp.received == []
    assert OutboxMessage.objects.get().status == "cancelled"


def test_a_bad_mailbox_marks_the_candidate_bounced_and_stops_the_thread(
    org, recruiter, smtp, transport
):
    smtp.faults.refuse["lea@example.org"] = (
        "550 5.1.1 <lea@example.org>: Recipient address rejected: User unknown"
    )
    candidate, thread = approach(org, recruiter)
    services.queue_send(thread.pk, thread.due_at)
    effects = deliver_due(transport, thread.due_at)
    row = OutboxMessage.objects.get()
    assert row.status == "failed"
    assert "5.1.1" in row.last_error
    candidate.refresh_from_db()
    assert candidate.email_bounced_at is not None
    assert [e.reason for e in effects if e.kind == "stop"] == ["bounced"]


def test_a_temporary_failure_is_retried_later_then_delivered(org, recruiter, smtp, transport):
    smtp.faults.fail_data[1] = "451 4.3.0 Please try again later"
    _, thread = approach(org, recruiter)
    services.queue_send(thread.pk, thread.due_at)
    deliver_due(transport, thread.due_at)
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.due_at > thread.due_at + timedelta(seconds=40)
    assert deliver_due(transport, thread.due_at + timedelta(seconds=10)) == []  # not yet
    deliver_due(transport, row.due_at)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp.received) == 1


def test_a_connection_lost_after_the_data_leaves_the_message_uncertain_never_resent(
    org, recruiter, smtp, transport
):
    smtp.faults.drop_after_data.add(1)
    _, thread = approach(org, recruiter)
    services.queue_send(thread.pk, thread.due_at)
    deliver_due(transport, thread.due_at)
    row = OutboxMessage.objects.get()
    assert row.status == "uncertain"
    assert len(smtp.received) == 1  # it did arrive: sending it again would be a duplicate
    deliver_due(transport, thread.due_at + timedelta(days=1))
    assert len(smtp.received) == 1


def test_a_worker_that_died_leaves_claimed_rows_to_others_and_sending_rows_uncertain(
    org, recruiter
):
    rows = []
    for i in range(3):
        _, thread = approach(org, recruiter, email=f"c{i}@example.org")
        row, _ = services.queue_send(thread.pk, thread.due_at)
        rows.append(row)
    now = rows[-1].due_at
    claimed = outbox.claim(now, "worker-a", limit=2)
    assert len(claimed) == 2
    assert outbox.claim(now, "worker-b") == [rows[2].pk]  # the rest, not the same ones
    OutboxMessage.objects.filter(pk=claimed[0]).update(status="sending")
    assert outbox.recover(now + timedelta(minutes=1)) == {"pending_again": 0, "uncertain": 0}
    assert outbox.recover(now + outbox.lease() + timedelta(seconds=1)) == {
        "pending_again": 2,
        "uncertain": 1,
    }
    assert OutboxMessage.objects.get(pk=claimed[0]).status == "uncertain"


def test_retries_back_off_exponentially_up_to_a_ceiling():
    assert timedelta(seconds=40) < outbox.backoff(1) < timedelta(seconds=80)
    assert timedelta(minutes=6) < outbox.backoff(4) < timedelta(minutes=10)
    assert outbox.backoff(30) <= outbox.BACKOFF_CEILING * 1.2


def test_a_message_due_while_no_worker_ran_waits_for_the_next_sending_window(
    org, recruiter, smtp, transport
):
    _, thread = approach(org, recruiter)  # Monday 2 March: the follow-up is due on Wednesday 09:00
    services.queue_send(thread.pk, thread.due_at)
    saturday_night = paris(2026, 3, 7, 22, 0)
    deliver_due(transport, saturday_night)
    row = OutboxMessage.objects.get()
    assert smtp.received == []
    assert (row.status, row.due_at) == ("pending", paris(2026, 3, 9, 8, 0))
    assert "sending_window" in row.last_error
    deliver_due(transport, row.due_at)
    assert len(smtp.received) == 1
