"""The outbox: e-mails written before they are sent, sent once, recorded after.

A send decided by the engine is written as an OutboxMessage in the same transaction as the
decision (steps.queue_send), with its Message-ID fixed. A worker then claims due rows
(`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional update on SQLite), checks
the hard rules again under the candidate's lock, marks the row `sending`, hands it to the
transport, and records the result. The touchpoint — what the candidate received — is
written only once the server accepted the message.
"""

from __future__ import annotations

import contextlib
import random
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formatdate
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection as db
from django.db import transaction

from relance.engine import BounceKind, Channel, DecisionKind
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread, Touchpoint
from relance.messaging import unsubscribe
from relance.messaging.compose import Rendered
from relance.messaging.inbound import _STATUS, severity
from relance.messaging.models import OutboxMessage

MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CEILING = timedelta(hours=6)


@dataclass(frozen=True)
class SendResult:
    outcome: str  # accepted, temporary, permanent, uncertain
    code: int = 0
    status: str = ""  # the enhanced status code, when the server gave one (5.1.1)
    text: str = ""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> SendResult: ...

    def close(self) -> None: ...


class DjangoTransport:
    """Any Django e-mail backend (SMTP by default, or a provider through django-anymail).
    One connection, opened once and reused for many messages."""

    def __init__(self, connection: object) -> None:
        self.connection = connection
        self.opened = False

    def send(self, message: EmailMessage) -> SendResult:
        if not self.opened:
            try:
                self.connection.open()  # type: ignore[attr-defined]
            except (OSError, smtplib.SMTPException) as error:
                # Nothing was handed over yet: safe to try again later.
                return SendResult("temporary", text=f"cannot connect: {error}")
            self.opened = True
        message.connection = self.connection
        try:
            self.connection.send_messages([message])  # type: ignore[attr-defined]
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return _refused(code, text)
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            return _refused(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as error:
            # The server may have taken the message before the line dropped.
            self.close()
            return SendResult("uncertain", text=f"connection lost: {error!r}")
        except smtplib.SMTPException as error:
            self.close()
            return SendResult("temporary", text=repr(error))
        return SendResult("accepted", 250)

    def close(self) -> None:
        if self.opened:
            # Closing a broken connection may fail too; there is nothing more to do then.
            with contextlib.suppress(Exception):
                self.connection.close()  # type: ignore[attr-defined]
        self.opened = False


def _refused(code: int, text: bytes | str) -> SendResult:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    found = _STATUS.search(message)
    status = ".".join(found.groups()) if found else f"{str(code)[:1]}.0.0"
    outcome = "permanent" if 500 <= code < 600 else "temporary"
    return SendResult(outcome, code, status, message[:500])


@dataclass
class MemoryTransport:
    """Keeps what it is given: `relance simulate`, the demo's history."""

    sent: list[EmailMessage] = field(default_factory=list)

    def send(self, message: EmailMessage) -> SendResult:
        self.sent.append(message)
        return SendResult("accepted", 250)

    def close(self) -> None:
        pass


# --- writing -----------------------------------------------------------------------------


def write(thread: Thread, action_index: int, step: int | None, reason: str, doubles_call: bool,
          rendered: Rendered, message_id: str, now: datetime) -> OutboxMessage:  # fmt: skip
    """The outbox row of a thread's step, in the caller's transaction. Writing the same step
    twice returns the row already written."""
    existing = OutboxMessage.objects.filter(thread=thread, action_index=action_index).first()
    if existing is not None:
        return existing
    earlier = list(
        Touchpoint.objects.filter(thread=thread, channel=Channel.EMAIL)
        .exclude(message_id="")
        .order_by("at", "pk")
        .values_list("message_id", flat=True)
    )
    recruiter = thread.recruiter
    return OutboxMessage.objects.create(
        organisation_id=thread.organisation_id,
        candidate_id=thread.candidate_id,
        thread=thread,
        recruiter=recruiter,
        action_index=action_index,
        step=step,
        reason=reason,
        doubles_call=doubles_call,
        message_id=message_id,
        from_address=recruiter.email if recruiter else "",
        to_address=thread.candidate.email,
        subject=rendered.subject,
        body=rendered.body,
        in_reply_to=earlier[-1] if earlier else "",
        references=" ".join(earlier),
        due_at=now,
        created_at=now,
    )


def email_of(row: OutboxMessage, now: datetime | None = None) -> EmailMessage:
    """The e-mail as it leaves: a follow-up is a reply in the thread of the one before, and
    every automated message carries its one-click unsubscribe link (RFC 8058)."""
    headers = {"Message-ID": row.message_id, **unsubscribe.headers_for(row.candidate)}
    if now is not None:
        headers["Date"] = formatdate(now.timestamp(), localtime=False)
    if row.in_reply_to:
        headers["In-Reply-To"] = row.in_reply_to
        headers["References"] = row.references
    return EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=row.from_address or None,
        to=[row.to_address],
        headers=headers,
    )


# --- claiming ------------------------------------------------------------------------------


def claim(now: datetime, worker: str, limit: int = 50) -> list[int]:
    """Take up to `limit` due rows for this worker, with a lease. Several workers can run
    at once: each row goes to one of them."""
    lease_until = now + lease()
    with transaction.atomic():
        if db.vendor == "postgresql":
            ids = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(status=OutboxMessage.Status.PENDING, due_at__lte=now)
                .order_by("due_at", "pk")
                .values_list("pk", flat=True)[:limit]
            )
            OutboxMessage.objects.filter(pk__in=ids).update(
                status=OutboxMessage.Status.CLAIMED, lease_until=lease_until, claimed_by=worker
            )
            return ids
        # SQLite: one writer at a time (BEGIN IMMEDIATE); a conditional update per row
        # still makes the claim safe if two workers share the file.
        candidates = list(
            OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, due_at__lte=now)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        return [
            pk
            for pk in candidates
            if OutboxMessage.objects.filter(pk=pk, status=OutboxMessage.Status.PENDING).update(
                status=OutboxMessage.Status.CLAIMED, lease_until=lease_until, claimed_by=worker
            )
            == 1
        ]


def lease() -> timedelta:
    """How long a claim holds (RELANCE_OUTBOX_LEASE_SECONDS, five minutes by default)."""
    return timedelta(seconds=settings.RELANCE_OUTBOX_LEASE_SECONDS)


def recover(now: datetime) -> dict[str, int]:
    """Rows whose worker died: a claimed one was never handed over (claim it again later);
    a sending one may have left (uncertain: never resent blindly)."""
    expired = OutboxMessage.objects.filter(lease_until__lt=now)
    back = expired.filter(status=OutboxMessage.Status.CLAIMED).update(
        status=OutboxMessage.Status.PENDING, lease_until=None, claimed_by=""
    )
    uncertain = expired.filter(status=OutboxMessage.Status.SENDING).update(
        status=OutboxMessage.Status.UNCERTAIN, last_error="the worker stopped while sending"
    )
    return {"pending_again": back, "uncertain": uncertain}


# --- delivering ---------------------------------------------------------------------------


def deliver(row_id: int, transport: Transport, now: datetime) -> list[services.Effect]:
    """Check the rules again, send, and record what happened."""
    from relance.followups.steps import decide_now, locked_thread, window_opening

    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().get(pk=row_id)
        if row.status not in (OutboxMessage.Status.CLAIMED, OutboxMessage.Status.PENDING):
            return []
        if row.thread_id is not None:
            try:
                thread = locked_thread(row.thread_id)
            except services.NotDue as stopped:
                _close(row, OutboxMessage.Status.CANCELLED, str(stopped))
                return []
            decision = decide_now(thread, now)
            if decision.action_index != row.action_index or decision.kind is DecisionKind.STOP:
                _close(row, OutboxMessage.Status.CANCELLED, f"no longer due: {decision.why}")
                return []
            if decision.kind is not DecisionKind.SEND:
                # Held back by a rule that changed since it was written: wait for it.
                return _wait(row, decision.at, decision.why)
            opens = window_opening(thread, decision, now)
            if opens > now:
                # Due while no worker ran, and the window has closed since: not now.
                return _wait(row, opens, "sending_window")
        row.status = OutboxMessage.Status.SENDING
        row.attempts += 1
        row.save(update_fields=["status", "attempts"])
    result = transport.send(email_of(row, now))
    return _record(row, result, now)


def _record(row: OutboxMessage, result: SendResult, now: datetime) -> list[services.Effect]:
    from relance.followups.steps import record_sent

    with transaction.atomic():
        if result.outcome == "accepted":
            row.status, row.sent_at = OutboxMessage.Status.SENT, now
            row.save(update_fields=["status", "sent_at"])
            return record_sent(row, now)
        if result.outcome == "uncertain":
            _close(row, OutboxMessage.Status.UNCERTAIN, result.text)
            return []
        if result.outcome == "temporary" and row.attempts < MAX_ATTEMPTS:
            row.status = OutboxMessage.Status.PENDING
            row.due_at = now + backoff(row.attempts)
            row.last_error = result.text
            row.save(update_fields=["status", "due_at", "last_error"])
            return []
        _close(row, OutboxMessage.Status.FAILED, f"{result.code} {result.status} {result.text}")
        kind = severity(result.status, result.text) if result.outcome == "permanent" else "soft"
        if kind == "soft":
            return []
        candidate = row.candidate
        bounce = Event(EventType.BOUNCE, now, candidate, outcome=BounceKind(kind))
        return services.record_event(bounce, now)


def _wait(row: OutboxMessage, until: datetime, why: str) -> list[services.Effect]:
    row.status, row.due_at, row.last_error = OutboxMessage.Status.PENDING, until, f"waiting: {why}"
    row.lease_until = None
    row.save(update_fields=["status", "due_at", "last_error", "lease_until"])
    return []


def settle(row_id: int, verdict: str, now: datetime) -> list[services.Effect]:
    """Decide an `uncertain` row: "sent" (it did leave: recorded as sent) or "resend" (it
    never reached the server: pending again, the rules are checked anew when it goes)."""
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().get(pk=row_id)
        if row.status != OutboxMessage.Status.UNCERTAIN:
            return []
        if verdict == "sent":
            return _record(row, SendResult("accepted", 250, text="found in the Sent folder"), now)
        if verdict != "resend":
            raise ValueError(f"verdict must be 'sent' or 'resend', got {verdict!r}")
        return _wait(row, now, "resend: it never reached the server")


def backoff(attempts: int) -> timedelta:
    """Exponential, with jitter, up to a ceiling: 1, 2, 4… minutes, at most 6 hours."""
    delay = min(BACKOFF_FIRST * (2 ** max(0, attempts - 1)), BACKOFF_CEILING)
    return delay * random.uniform(0.8, 1.2)  # spreading retries, not a secret


def _close(row: OutboxMessage, status: str, why: str) -> None:
    row.status, row.last_error = status, why[:1000]
    row.lease_until = None
    row.save(update_fields=["status", "last_error", "lease_until"])
