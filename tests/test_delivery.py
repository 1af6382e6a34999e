"""Delivery through a real SMTP server on loopback: once, threaded, with the rules checked
again at the last moment, and every failure recorded for what it is."""

from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr
from types import SimpleNamespace

import pytest

from relance.engine import Channel, Situation
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread, Touchpoint
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage
from relance.people.models import Candidate
from tests.conftest import approach, paris

pytestmark = pytest.mark.django_db(transaction=True)

T0 = paris(2026, 3, 2, 9, 0)


def deliver_due(transport, now):
    effects = []
    for pk in outbox.claim(now, "test-worker"):
        effects += outbox.deliver(pk, transport, now)
    return effects


def test_a_follow_up_leaves_once_as_a_reply_in_the_thread(org, recruiter, smtp, transport):
    # The approach itself leaves from Relance (the candidate page's default for an e-mail).
    lea = Candidate.objects.create(
        organisation=org, first_name="Léa", last_name="Martin", email="lea@example.org",
        created_at=T0,
    )  # fmt: skip
    services.record_event(
        Event(EventType.MESSAGE_SENT, T0, lea, recruiter=recruiter, channel=Channel.EMAIL,
              situation=Situation.FIRST_MESSAGE, send=True),
        T0,
    )  # fmt: skip
    thread = Thread.objects.get(candidate=lea)
    assert not Touchpoint.objects.filter(thread=thread).exists()  # nothing left yet
    services.queue_send(thread.pk, T0)
    deliver_due(transport, T0)
    approach_id = Touchpoint.objects.get(thread=thread, step=0).message_id
    assert smtp.received[0]["Message-ID"] == approach_id
    smtp.received.clear()
    thread.refresh_from_db()
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
    assert str(make_header(decode_header(sent["To"]))) == "Léa Martin <lea@example.org>"
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


def test_a_connection_the_server_closed_while_idle_is_opened_again_and_the_message_leaves(
    org, recruiter, smtp, transport
):
    """Issue 12: the connection kept between cycles was closed by the server; the next
    message failed before any content left and stayed `uncertain` for ever."""
    _rows, now = queue(org, recruiter, 2)
    deliver_due(transport, now)
    assert len(smtp.received) == 2
    second, _ = services.queue_send(approach(org, recruiter, email="c9@example.org")[1].pk, now)
    smtp.hang_up_idle()  # the server's idle timeout
    deliver_due(transport, now + timedelta(minutes=5))
    second.refresh_from_db()
    assert (second.status, second.attempts) == ("sent", 1)
    assert [m["To"].rpartition("<")[2].rstrip(">") for m in smtp.received][-1] == "c9@example.org"
    assert len(smtp.received) == 3


def test_an_idle_connection_is_checked_before_use(org, recruiter, smtp):
    from django.core.mail import get_connection

    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=smtp.port, timeout=5
    )
    checked = outbox.DjangoTransport(connection, idle_check=0)  # every use counts as idle
    _rows, now = queue(org, recruiter, 1)
    deliver_due(checked, now)
    smtp.hang_up_idle()
    _, thread = approach(org, recruiter, email="c7@example.org")
    row, _ = services.queue_send(thread.pk, now)
    deliver_due(checked, now + timedelta(minutes=5))
    row.refresh_from_db()
    assert (row.status, len(smtp.received)) == ("sent", 2)
    assert smtp.handler.mail_count == 2  # the dead connection was not even tried
    checked.close()


def test_a_line_lost_before_the_content_left_is_retried_never_uncertain(
    org, recruiter, smtp, transport
):
    """On a fresh connection too: the server hangs up at MAIL FROM. Nothing of the message
    was handed over, so it is retried later (not `uncertain`), and leaves once."""
    smtp.faults.drop_at_mail.add(1)
    rows, now = queue(org, recruiter, 1)
    deliver_due(transport, now)
    row = OutboxMessage.objects.get(pk=rows[0].pk)
    assert row.status == "pending"
    assert "before the content" in row.last_error
    deliver_due(transport, row.due_at)
    row.refresh_from_db()
    assert (row.status, len(smtp.received)) == ("sent", 1)


def queue(org, recruiter, count: int) -> tuple[list[OutboxMessage], object]:
    """The follow-up e-mails of `count` candidates (c0@, c1@…) in the outbox, and the
    moment all are due."""
    rows = []
    for i in range(count):
        _, thread = approach(org, recruiter, email=f"c{i}@example.org")
        row, _ = services.queue_send(thread.pk, thread.due_at)
        rows.append(row)
    return rows, rows[-1].due_at


def test_a_worker_that_died_leaves_claimed_rows_to_others_and_sending_rows_uncertain(
    org, recruiter
):
    rows, now = queue(org, recruiter, 3)
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


def test_a_row_taken_back_after_its_lease_is_never_sent_by_the_worker_that_lost_it(
    org, recruiter, smtp, transport
):
    """A worker whose lease ran out (it hung) must not send a row another worker has
    claimed since: the row becomes `sending` only for the worker that holds it."""
    _rows, now = queue(org, recruiter, 2)
    slow = outbox.claim(now, "worker-a")
    checked = outbox._check(slow, now, "worker-a")  # the rules allow both: then it hangs
    later = now + outbox.lease() + timedelta(seconds=1)
    outbox.recover(later)
    assert outbox.claim(later, "worker-b") == slow
    # worker-a wakes up: neither a new pass nor the one it was in sends anything.
    assert outbox.deliver_batch(slow, transport, now, worker="worker-a") == []
    outbox._send(checked, outbox.Transports(transport), now, bool)
    assert len(smtp.received) == 0
    assert set(OutboxMessage.objects.values_list("claimed_by", "status")) == {
        ("worker-b", "claimed")
    }
    outbox.deliver_batch(slow, transport, later, worker="worker-b")  # which holds them
    assert len(smtp.received) == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_slow_batch_renews_its_leases_as_it_goes(org, recruiter, smtp, transport, monkeypatch):
    """Each row marked `sending` gets a lease from that moment, and the batch's other rows
    are renewed as time passes: another worker's recovery never takes a live worker's rows."""
    _rows, now = queue(org, recruiter, 3)
    claimed = outbox.claim(now, "worker-a")
    clock = [1000.0]
    # The outbox's own clock only (the SMTP server's thread keeps the real one).
    monkeypatch.setattr(outbox, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    leases = []
    original = transport.send

    def slow_send(message, following=None):
        clock[0] += outbox.lease().total_seconds() * 0.6  # each message takes 0.6 lease
        leases.append(
            list(OutboxMessage.objects.filter(pk__in=claimed).values_list("lease_until", flat=True))
        )
        return original(message, following)

    monkeypatch.setattr(transport, "send", slow_send)
    outbox.deliver_batch(claimed, transport, now)
    # While each message was being sent (0.6, 1.2, 1.8 leases after the claim), every row
    # not yet sent still held a lease ahead of the time that had passed.
    for n, snapshot in enumerate(leases, start=1):
        passed = now + timedelta(seconds=outbox.lease().total_seconds() * 0.6 * n)
        assert all(until is None or until > passed for until in snapshot), n
    assert OutboxMessage.objects.filter(status="sent").count() == 3


def test_an_uncertain_row_is_looked_for_in_sent_only_after_the_settle_delay(org, recruiter):
    rows, now = queue(org, recruiter, 1)
    outbox.claim(now, "worker-a")
    OutboxMessage.objects.filter(pk=rows[0].pk).update(status="sending")
    expired = now + outbox.lease() + timedelta(seconds=1)
    outbox.recover(expired)
    row = OutboxMessage.objects.get(pk=rows[0].pk)
    assert row.status == "uncertain"
    assert row.due_at == expired + outbox.settle_delay()


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


# --- a batch over one connection: the next envelope goes with this content (RFC 2920) -----


def queue_five(org, recruiter) -> tuple[list[OutboxMessage], object]:
    rows, now = queue(org, recruiter, 5)
    assert outbox.claim(now, "test-worker") == [row.pk for row in rows]
    return rows, now


def before_c1(action):  # type: ignore[no-untyped-def]
    """A worker's `stopping` check that runs `action` (and says what it returns) when asked
    before the second message: c0 accepted, c1's envelope sent ahead of its content."""
    calls = []

    def stopping() -> bool:
        calls.append(1)
        return bool(action()) if len(calls) == 2 else False

    return stopping


def recipients(smtp) -> list[str]:
    """Who received what: the envelope's recipient is always the message's own To."""
    headers = [parseaddr(str(message["To"]))[1] for message in smtp.received]
    assert smtp.handler.envelopes == [[to] for to in headers]
    return headers


def statuses(rows) -> list[str]:
    return [OutboxMessage.objects.get(pk=row.pk).status for row in rows]


def test_a_batch_sends_each_envelope_with_the_content_before_it(
    org, recruiter, smtp, transport, monkeypatch
):
    import smtplib

    written: list[bytes] = []  # what went on the wire, and REPLY where an answer was read
    send, getreply = smtplib.SMTP.send, smtplib.SMTP.getreply

    def spy(self, data):  # type: ignore[no-untyped-def]
        written.append(data if isinstance(data, bytes) else data.encode())
        return send(self, data)

    def reading(self):  # type: ignore[no-untyped-def]
        written.append(b"REPLY")
        return getreply(self)

    monkeypatch.setattr(smtplib.SMTP, "send", spy)
    monkeypatch.setattr(smtplib.SMTP, "getreply", reading)
    rows, now = queue_five(org, recruiter)
    outbox.deliver_batch([row.pk for row in rows], transport, now)
    assert recipients(smtp) == [f"c{i}@example.org" for i in range(5)]
    assert statuses(rows) == ["sent"] * 5
    envelopes = [chunk for chunk in written if b"MAIL FROM:" in chunk]
    # The first envelope alone; every content but the last carries the next envelope,
    # after its own final dot (one round trip a message).
    assert len(envelopes) == 5
    for i, chunk in enumerate(envelopes[1:], start=1):
        assert chunk.index(b"\r\n.\r\n") < chunk.index(f"RCPT TO:<c{i}@example.org>".encode())
    assert len([chunk for chunk in written if chunk != b"REPLY"]) == 1 + 1 + 5


def test_refusals_read_ahead_are_told_for_their_own_message(org, recruiter, smtp, transport):
    smtp.faults.refuse["c2@example.org"] = "550 5.1.1 <c2@example.org>: User unknown"
    smtp.faults.fail_data[3] = "451 4.3.0 Please try again later"  # the 3rd content: c3's
    rows, now = queue_five(org, recruiter)
    outbox.deliver_batch([row.pk for row in rows], transport, now)
    assert recipients(smtp) == ["c0@example.org", "c1@example.org", "c4@example.org"]
    assert statuses(rows) == ["sent", "sent", "failed", "pending", "sent"]
    assert "5.1.1" in OutboxMessage.objects.get(pk=rows[2].pk).last_error
    assert "4.3.0" in OutboxMessage.objects.get(pk=rows[3].pk).last_error


def test_a_message_cancelled_after_its_envelope_went_ahead_never_arrives(
    org, recruiter, smtp, transport
):
    rows, now = queue_five(org, recruiter)

    def cancel_c1() -> bool:
        OutboxMessage.objects.filter(pk=rows[1].pk).update(status="cancelled")
        return False

    outbox.deliver_batch([row.pk for row in rows], transport, now, before_c1(cancel_c1))
    assert recipients(smtp) == ["c0@example.org", "c2@example.org", "c3@example.org",
                                "c4@example.org"]  # fmt: skip
    assert statuses(rows) == ["sent", "cancelled", "sent", "sent", "sent"]
    assert all(message.get_payload() for message in smtp.received)  # no empty message


def test_a_worker_stopping_after_an_envelope_went_ahead_sends_that_message_later_once(
    org, recruiter, smtp, transport
):
    rows, now = queue_five(org, recruiter)
    outbox.deliver_batch([row.pk for row in rows], transport, now, before_c1(lambda: True))
    assert recipients(smtp) == ["c0@example.org"]
    assert statuses(rows) == ["sent"] + ["pending"] * 4
    deliver_due(transport, now)
    assert sorted(recipients(smtp)) == [f"c{i}@example.org" for i in range(5)]


def test_a_server_without_pipelining_gets_one_command_at_a_time(org, recruiter, smtp, transport):
    smtp.handler.pipelining = False
    smtp.faults.refuse["c2@example.org"] = "550 5.1.1 <c2@example.org>: User unknown"
    rows, now = queue_five(org, recruiter)
    outbox.deliver_batch([row.pk for row in rows], transport, now)
    assert recipients(smtp) == ["c0@example.org", "c1@example.org", "c3@example.org",
                                "c4@example.org"]  # fmt: skip
    assert statuses(rows) == ["sent", "sent", "failed", "sent", "sent"]
    assert not transport.connection.connection.has_extn("pipelining")


def test_a_follow_up_that_repeats_one_sent_since_it_was_written_is_held_when_it_leaves(
    org, recruiter, smtp, transport
):
    """Two recruiters (same name, same template) approach Léa a day apart; both follow-ups
    are written to the outbox the same Monday morning, before either has left. The first
    leaves; the second, held by the pressure cap until Tuesday, would then repeat it almost
    word for word: it is cancelled when it leaves and becomes a task to rewrite (hard rule
    7), which the recruiter rewrites and sends."""
    from relance.people.models import Recruiter
    from relance.worker import Worker

    other = Recruiter.objects.create_user(
        email="c.dubois@test.example", first_name="Claire", last_name="Dubois", organisation=org
    )
    lea, first = approach(org, recruiter)
    services.record_event(
        Event(EventType.MESSAGE_SENT, T0 + timedelta(days=1), lea, recruiter=other,
              channel=Channel.EMAIL, situation=Situation.FIRST_MESSAGE),
        T0 + timedelta(days=1),
    )  # fmt: skip
    second = Thread.objects.exclude(pk=first.pk).get(candidate=lea)
    clock = [paris(2026, 3, 9, 10, 30)]  # both follow-ups due (held by the cap until then)
    worker = Worker(transport=transport, clock=lambda: clock[0])
    worker.cycle()
    assert OutboxMessage.objects.count() == 2  # both written before either left
    assert len(smtp.received) == 1
    clock[0] = paris(2026, 3, 10, 12, 0)
    worker.cycle()
    assert len(smtp.received) == 1  # not a second copy
    held = OutboxMessage.objects.get(thread=second)
    assert (held.status, held.last_error) == ("cancelled", "near_duplicate")
    second.refresh_from_db()
    assert (second.next_kind, second.reason) == ("task", "near_duplicate")
    services.send_edited(second.pk, clock[0], "Une autre piste", "Bonjour Léa, une autre piste, "
                         "plus proche de votre profil : en parlons-nous jeudi ?", other)  # fmt: skip
    clock[0] += timedelta(minutes=1)
    worker.cycle()
    assert len(smtp.received) == 2
    assert "autre piste" in str(smtp.received[1]["Subject"])
    assert OutboxMessage.objects.get(thread=second).status == "sent"


def test_a_step_done_by_hand_while_its_e_mail_waits_in_a_batch_stops_that_e_mail(
    org, recruiter, smtp, transport
):
    """The worker checked Léa's follow-up and is about to hand it over when Claire logs that
    she just wrote to Léa herself (that message is the step): the e-mail does not leave —
    two messages the same day would break the pressure cap."""
    lea, thread = approach(org, recruiter)
    row, _ = services.queue_send(thread.pk, thread.due_at)
    claimed = outbox.claim(thread.due_at, "w")
    checked = outbox._check(claimed, thread.due_at, "w")
    assert [r.pk for r, _ in checked] == [row.pk]
    services.record_event(
        Event(EventType.MESSAGE_SENT, thread.due_at, lea, recruiter=recruiter,
              channel=Channel.EMAIL, subject="Suite", body="Je vous écris moi-même."),
        thread.due_at,
    )  # fmt: skip
    outbox._send(checked, outbox.Transports(transport), thread.due_at, bool)
    assert len(smtp.received) == 0
    assert OutboxMessage.objects.get(pk=row.pk).status == "cancelled"
    assert Touchpoint.objects.get(thread=thread, step=1).body == "Je vous écris moi-même."
