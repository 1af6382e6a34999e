"""Receiving e-mails: matched to their candidate, acted on, kept, never processed twice."""

from datetime import timedelta

import pytest

from relance.followups import services
from relance.followups.models import Thread, Touchpoint
from relance.messaging.models import InboundMessage
from relance.messaging.outbox import MemoryTransport
from relance.messaging.receive import receive
from relance.people.models import Candidate
from tests.conftest import approach, paris

pytestmark = pytest.mark.django_db

T0 = paris(2026, 3, 2, 9, 0)


@pytest.fixture
def lea(org, recruiter):
    """Léa, approached by e-mail on Monday; the follow-up left on Wednesday."""
    candidate, thread = approach(org, recruiter)
    services.perform_send(thread.pk, thread.due_at, MemoryTransport())
    return candidate


def email(headers: str, body: str = "Bonjour") -> bytes:
    return (headers.strip() + "\n\n" + body).encode()


def test_a_reply_to_our_follow_up_stops_the_thread(org, lea):
    followup = Touchpoint.objects.filter(candidate=lea, step=1).get()
    assert followup.message_id.startswith("<relance.")
    raw = email(
        f"From: Lea <LEA@example.org>\nSubject: Re: suite\nMessage-ID: <r1@example.org>\nIn-Reply-To: {followup.message_id}"
    )
    received = receive(org, raw, T0 + timedelta(days=3))
    assert (received.outcome, received.kind) == ("recorded", "reply")
    assert [e.reason for e in received.effects if e.kind == "stop"] == ["replied"]
    assert not Thread.objects.filter(candidate=lea, status="open").exists()
    kept = InboundMessage.objects.get()
    assert (kept.candidate, kept.outcome, kept.message_id) == (lea, "recorded", "<r1@example.org>")
    assert kept.key.startswith("sha256:")
    assert bytes(kept.raw) == raw
    # The same message again (a worker restarting, the mail server retrying): nothing more.
    assert receive(org, raw, T0 + timedelta(days=3, minutes=1)).outcome == "duplicate"
    assert Touchpoint.objects.filter(candidate=lea, direction="in").count() == 1


def test_an_out_of_office_delays_the_next_follow_up_to_its_return_date(org, lea):
    raw = email(
        "From: lea@example.org\nSubject: Absence\nAuto-Submitted: auto-replied\nDate: Wed, 4 Mar 2026 09:01:00 +0100",
        "Je suis absente, de retour le 20 mars.",
    )
    received = receive(org, raw, T0 + timedelta(days=2, minutes=1))
    assert received.kind == "auto_reply"
    thread = Thread.objects.get(candidate=lea)
    assert thread.status == "open"
    assert thread.delay_reason == "out_of_office"
    assert thread.due_at >= paris(2026, 3, 20, 0, 0)


def test_a_hard_bounce_marks_the_address_bad_and_stops_everything(org, lea):
    raw = email(
        """From: MAILER-DAEMON@mx.example.org
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="b"
""",
        """--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; lea@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--b--
""",
    )
    received = receive(org, raw, T0 + timedelta(days=2, hours=1))
    assert (received.outcome, received.kind) == ("recorded", "bounce")
    lea.refresh_from_db()
    assert lea.email_bounced_at is not None
    assert [e.reason for e in received.effects if e.kind == "stop"] == ["bounced"]


def test_an_abuse_report_about_our_message_unsubscribes_the_person(org, lea):
    ours = Touchpoint.objects.filter(candidate=lea, step=1).get().message_id
    raw = email(
        """From: staff@hotmail.example
Subject: complaint about message from 192.0.2.1
Content-Type: multipart/report; report-type=feedback-report; boundary="b"
""",
        f"""--b
Content-Type: message/feedback-report

Feedback-Type: abuse

--b
Content-Type: message/rfc822

From: claire@test.example
To: lea@example.org
Message-ID: {ours}
Subject: Re: suite

--b--
""",
    )
    received = receive(org, raw, T0 + timedelta(days=3))
    assert received.outcome == "recorded"
    lea.refresh_from_db()
    assert lea.unsubscribed_at is not None


def test_a_message_from_nobody_we_know_is_kept_for_inspection(org, lea):
    received = receive(
        org, email("From: someone@elsewhere.example\nSubject: Hello\nMessage-ID: <x@y>"), T0
    )
    assert received.outcome == "unmatched"
    assert InboundMessage.objects.get().outcome == "unmatched"


def test_a_message_that_cannot_be_recorded_is_kept_with_the_error_and_nothing_half_written(
    org, lea
):
    Candidate.objects.filter(pk=lea.pk).update(timezone="Mars/Olympus")  # a corrupt row
    before = Touchpoint.objects.count()
    # An out-of-office's return date is placed in the candidate's time zone: it fails.
    away = email(
        "From: lea@example.org\nSubject: Absence\nAuto-Submitted: auto-replied\nMessage-ID: <z@example.org>",
        "De retour le 20 mars.",
    )
    received = receive(org, away, T0 + timedelta(days=3))
    assert received.outcome == "failed"
    assert "Mars/Olympus" in received.error
    kept = InboundMessage.objects.get()
    assert (kept.outcome, kept.message_id) == ("failed", "<z@example.org>")
    assert Touchpoint.objects.count() == before


def test_two_different_messages_sharing_a_message_id_are_both_kept(org, lea):
    """Broken or hostile senders reuse a Message-ID: the second message is another one."""
    first = email(
        "From: lea@example.org\nSubject: Absence\nAuto-Submitted: auto-replied\nMessage-ID: <same@example.org>",
        "Absente.",
    )
    second = email(
        "From: lea@example.org\nSubject: Re: suite\nMessage-ID: <same@example.org>",
        "Oui, appelez-moi.",
    )
    assert receive(org, first, T0 + timedelta(days=3)).kind == "auto_reply"
    received = receive(org, second, T0 + timedelta(days=3, minutes=5))
    assert (received.outcome, received.kind) == ("recorded", "reply")
    assert InboundMessage.objects.filter(message_id="<same@example.org>").count() == 2
    assert not Thread.objects.filter(candidate=lea, status="open").exists()


def test_the_same_message_delivered_again_is_a_duplicate_whatever_the_trace_fields(org, lea):
    """A server retrying, a mailbox read again, a copy to a second address of ours: only the
    fields each delivery adds differ (and the line ends, IMAP's CRLF against a pipe's LF)."""
    body = "From: lea@example.org\nSubject: Re: suite\nMessage-ID: <r2@example.org>\n\nOui"
    piped = (
        "From lea@example.org Thu Mar  5 10:00:00 2026\nReturn-Path: <lea@example.org>\nDelivered-To: claire@test.example\nReceived: from mx by us;\n Thu, 5 Mar 2026 10:00:00 +0100\n"
        + body
    ).encode()
    fetched = (
        (
            "Return-Path: <lea@example.org>\nDelivered-To: hugo@test.example\nX-Spam-Status: No\nReceived: from mx2 by us; Thu, 5 Mar 2026 10:00:01 +0100\n"
            + body
        )
        .replace("\n", "\r\n")
        .encode()
    )
    assert receive(org, piped, T0 + timedelta(days=3)).outcome == "recorded"
    assert receive(org, fetched, T0 + timedelta(days=3, minutes=1)).outcome == "duplicate"
    assert InboundMessage.objects.count() == 1


def test_a_message_that_cannot_be_read_is_kept_as_failed_with_why(org, lea, monkeypatch):
    from relance.messaging import inbound

    def trip(raw, today):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(inbound, "_classify", trip)
    raw = email("From: lea@example.org\nSubject: Re: suite\nMessage-ID: <r3@example.org>")
    received = receive(org, raw, T0 + timedelta(days=3))
    assert received.outcome == "failed"
    assert received.error == "RecursionError: maximum recursion depth exceeded"
    kept = InboundMessage.objects.get()
    assert (kept.outcome, bytes(kept.raw), kept.why) == (
        "failed",
        raw,
        [["unreadable", "RecursionError: maximum recursion depth exceeded"]],
    )
    # Nothing was taken from it: the follow-ups go on.
    assert Thread.objects.filter(candidate=lea, status="open").exists()


def test_a_challenge_from_the_candidates_own_address_neither_stops_nor_delays_follow_ups(org, lea):
    thread = Thread.objects.get(candidate=lea)
    due, reason = thread.due_at, thread.delay_reason
    raw = email(
        "From: lea@example.org\nSubject: Re: suite\nAuto-Submitted: auto-replied\nMessage-ID: <c1@example.org>",
        "I use a spam filter. Please click below to confirm you are human, and your message will be delivered.",
    )
    received = receive(org, raw, T0 + timedelta(days=3))
    assert (received.outcome, received.kind) == ("ignored", "other")
    assert InboundMessage.objects.get().why[-1][0] == "challenge"
    thread.refresh_from_db()
    assert (thread.status, thread.due_at, thread.delay_reason) == ("open", due, reason)


def test_an_exchange_rule_reply_delays_the_follow_ups_and_stops_none(org, lea):
    raw = email(
        "From: lea@example.org\nSubject: RE: suite\nX-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: lea@example.org",
        "Thank you for your message, I will answer as soon as I can.",
    )
    received = receive(org, raw, T0 + timedelta(days=2, minutes=1))
    assert received.kind == "auto_reply"
    thread = Thread.objects.get(candidate=lea)
    assert (thread.status, thread.delay_reason) == ("open", "out_of_office")


def test_a_bounce_is_matched_by_the_address_we_sent_to(org, lea):
    raw = email(
        """From: MAILER-DAEMON@mx.example.org
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="b"
""",
        """--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.forward.example

Original-Recipient: rfc822;lea@example.org
Final-Recipient: rfc822; lea.martin@mail.forward.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--b--
""",
    )
    received = receive(org, raw, T0 + timedelta(days=2, hours=1))
    assert (received.outcome, received.candidates) == ("recorded", [lea.pk])


@pytest.mark.django_db(transaction=True)
def test_messages_kept_before_the_fingerprint_get_theirs(org):
    """Migration messaging.0010: a message kept under its Message-ID is recognised by its
    fingerprint when it comes again; two kept with the same content both stay."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("messaging", "0009_outbox_campaign")],
        [("messaging", "0010_inbound_fingerprint")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("messaging", "InboundMessage")
    raw = b"From: lea@example.org\r\nMessage-ID: <old@example.org>\r\n\r\nOui"
    for key in ("<old@example.org>", "sha256:whatever"):
        old.objects.create(
            organisation_id=org.pk, received_at=T0, key=key, raw=raw, outcome="unmatched"
        )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    rows = list(InboundMessage.objects.order_by("pk").values_list("key", "message_id"))
    from relance.messaging.inbound import fingerprint

    assert rows == [
        (fingerprint(raw), "<old@example.org>"),
        (f"{fingerprint(raw)}:{InboundMessage.objects.order_by('pk').last().pk}", ""),
    ]
    assert receive(org, raw.replace(b"\r\n", b"\n"), T0).outcome == "duplicate"
