"""The outbox: e-mails written before they are sent, sent once, recorded after.

A send decided by the engine is written as an OutboxMessage in the same transaction as the
decision (steps.queue_send), with its Message-ID fixed. A worker then claims due rows
(`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional update on SQLite), checks
the hard rules again under the candidate's lock, marks the row `sending`, hands it to the
transport, and records the result. The touchpoint — what the candidate received — is
written only once the server accepted the message.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db
from django.db import transaction

from relance.engine import BounceKind, Channel, Decision, DecisionKind
from relance.followups import services, sql
from relance.followups.events import Event, EventType
from relance.followups.models import Thread, Touchpoint
from relance.messaging import checks, compose, senders, unsubscribe
from relance.messaging.compose import Rendered
from relance.messaging.inbound import severity
from relance.messaging.models import OutboxMessage, Sender
from relance.messaging.senders import Transports
from relance.messaging.transport import (
    DjangoTransport,
    MemoryTransport,
    Outgoing,
    SendResult,
    Transport,
    build,
)
from relance.people.models import Candidate, Recruiter

__all__ = ["DjangoTransport", "MemoryTransport", "Outgoing", "SendResult", "Transport"]

MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CEILING = timedelta(hours=6)


# --- writing -----------------------------------------------------------------------------


def write(thread: Thread, action_index: int, step: int | None, reason: str, doubles_call: bool,
          rendered: Rendered, message_id: str, now: datetime,
          by_hand: bool = False) -> OutboxMessage:  # fmt: skip
    """The outbox row of a thread's step, in the caller's transaction. Writing the same step
    twice returns the row already written."""
    existing = OutboxMessage.objects.filter(thread=thread, action_index=action_index).first()
    if existing is not None and existing.status == OutboxMessage.Status.CANCELLED and by_hand:
        # Held back when it was about to leave (a near-duplicate): it never left, and the
        # recruiter's rewritten message takes its place (written anew: sender, address).
        existing.delete()
    elif existing is not None:
        return existing
    earlier = list(
        Touchpoint.objects.filter(thread=thread, channel=Channel.EMAIL)
        .exclude(message_id="")
        .order_by("at", "pk")
        .values_list("message_id", flat=True)
    )
    return _row(
        organisation_id=thread.organisation_id,
        candidate=thread.candidate,
        recruiter=thread.recruiter,
        rendered=rendered,
        message_id=message_id,
        now=now,
        thread=thread,
        action_index=action_index,
        step=step,
        reason=reason,
        doubles_call=doubles_call,
        by_hand=by_hand,
        in_reply_to=earlier[-1] if earlier else "",
        references=" ".join(earlier),
    )


def write_single(candidate: Candidate, recruiter: Recruiter | None, reason: str,
                 rendered: Rendered, message_id: str, now: datetime,
                 **fields: Any) -> OutboxMessage:  # fmt: skip
    """The outbox row of a message outside any thread (an acknowledgement, a campaign's
    message, a renewal request), in the caller's transaction. Its Message-ID holds a random
    part: each caller makes sure it writes a message once (an application is acknowledged
    when it is recorded; campaigns and renewals look for what they already wrote)."""
    return _row(organisation_id=candidate.organisation_id, candidate=candidate,
                recruiter=recruiter, rendered=rendered, message_id=message_id, now=now,
                reason=reason, **fields)  # fmt: skip


def _row(
    *,
    organisation_id: int,
    candidate: Candidate,
    recruiter: Recruiter | None,
    rendered: Rendered,
    message_id: str,
    now: datetime,
    **fields: Any,
) -> OutboxMessage:
    # --- the message's form (messaging/checks.py, compose.py): never an empty message or
    # one holding a placeholder; the Message-ID at the From's domain; To names the person.
    refused = checks.problem(rendered.subject, rendered.body)
    if refused is not None:
        raise refused
    sender = senders.sender_for(recruiter)
    from_address = senders.from_header(sender, recruiter)
    message_id = compose.sent_from(message_id, from_address or str(settings.DEFAULT_FROM_EMAIL))
    # --- end of the message's form
    to_address = candidate.email
    return OutboxMessage.objects.create(
        organisation_id=organisation_id,
        candidate_id=candidate.pk,
        recruiter=recruiter,
        message_id=message_id,
        sender=sender,
        from_address=from_address,
        to_address=compose.recipient(candidate),
        to_domain=to_address.rpartition("@")[2].lower(),
        subject=rendered.subject,
        body=rendered.body,
        due_at=now,
        created_at=now,
        **fields,
    )


def outgoing(row: OutboxMessage, now: datetime) -> Outgoing:
    """The e-mail as it leaves: a follow-up is a reply in the thread of the one before; an
    automated message (a follow-up the engine wrote, a campaign's, a renewal request) says
    so with List-Id and its one-click unsubscribe link and address (RFC 2919, 2369, 8058),
    a one-to-one message (an acknowledgement, what a recruiter wrote or edited) carries
    neither. Dated in the organisation's time zone; To names the candidate."""
    sender = row.from_address or str(settings.DEFAULT_FROM_EMAIL)
    zone, organisation = compose.organisation_facts(row.organisation_id, now)
    headers = {"In-Reply-To": row.in_reply_to, "References": row.references}
    kind = unsubscribe.list_of(row)
    if kind:
        headers |= unsubscribe.headers_for_ids(
            row.candidate_id, row.organisation_id, sender=sender, kind=kind, name=organisation
        )
    return build(
        from_address=sender,
        to=row.to_address,
        subject=row.subject,
        body=row.body,
        message_id=row.message_id,
        date=now.astimezone(zone),
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
        # SQLite: the transaction holds the database's write lock (BEGIN IMMEDIATE): no
        # other worker can claim between this read and this update.
        ids = list(
            OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, due_at__lte=now)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.PENDING).update(
            status=OutboxMessage.Status.CLAIMED, lease_until=lease_until, claimed_by=worker
        )
        return ids


def lease() -> timedelta:
    """How long a claim holds (RELANCE_OUTBOX_LEASE_SECONDS, five minutes by default)."""
    return timedelta(seconds=settings.RELANCE_OUTBOX_LEASE_SECONDS)


def settle_delay() -> timedelta:
    """How long an uncertain row waits before it is looked for in the Sent folder
    (RELANCE_UNCERTAIN_SETTLE_SECONDS, ten minutes by default)."""
    return timedelta(seconds=settings.RELANCE_UNCERTAIN_SETTLE_SECONDS)


def recover(now: datetime) -> dict[str, int]:
    """Rows whose worker died: a claimed one was never handed over (claim it again later);
    a sending one may have left (uncertain: never resent blindly). A live worker renews
    its leases as it goes, so only a worker that stopped (or hung for longer than a lease)
    loses its rows. An uncertain row's `due_at` is when it may be settled."""
    expired = OutboxMessage.objects.filter(lease_until__lt=now)
    back = expired.filter(status=OutboxMessage.Status.CLAIMED).update(
        status=OutboxMessage.Status.PENDING, lease_until=None, claimed_by=""
    )
    uncertain = expired.filter(status=OutboxMessage.Status.SENDING).update(
        status=OutboxMessage.Status.UNCERTAIN,
        last_error="the worker stopped while sending",
        due_at=now + settle_delay(),
    )
    return {"pending_again": back, "uncertain": uncertain}


# --- delivering ---------------------------------------------------------------------------


def deliver(row_id: int, transport: Transport | Transports, now: datetime) -> list[services.Effect]:
    """Check the rules again, send, and record what happened (one row)."""
    return deliver_batch([row_id], transport, now)


def deliver_batch(
    ids: list[int],
    transport: Transport | Transports,
    now: datetime,
    stopping: Callable[[], bool] = bool,
    worker: str | None = None,
) -> list[services.Effect]:
    """Deliver claimed rows: check the hard rules again for all of them at once, send them
    one after the other over the transport's connection, then record the sent ones on the
    candidates' timelines in one transaction.

    Each message's hand-over is durable before it happens, and its acceptance before the
    next one is handed over: the transaction that records message n as sent also marks
    n+1 as sending. A worker killed at any moment leaves at most one row `sending` (then
    `uncertain`); rows it had claimed but not reached go back to the queue. A `worker`
    handles only the rows it still holds (none that another took back after its lease).
    """
    from relance.followups.steps import record_sent

    if not ids:
        return []
    transports = transport if isinstance(transport, Transports) else Transports(transport)
    ready = _check(ids, now, worker)
    sent, effects = _send(ready, transports, now, stopping)
    return effects + record_sent(sent, now)


def _check(
    ids: list[int], now: datetime, worker: str | None = None
) -> list[tuple[OutboxMessage, Decision | None]]:
    """The rows that may go now, with the engine's decision; the others are cancelled (a
    rule stops them for good), put back to wait (a rule holds them until a later moment),
    or released (a second message to a candidate already in this batch)."""
    from relance.followups.steps import (
        hold_for_rewriting,
        lock_candidates,
        pending_sends,
        repeats,
        thread_decisions,
    )
    from relance.pools import recheck

    with transaction.atomic():
        held: list[object] = list(ids)
        condition = f"id IN ({sql.marks(ids)}) AND status IN ('claimed', 'pending')"
        if worker is not None:
            condition = f"id IN ({sql.marks(ids)}) AND status = 'claimed' AND claimed_by = %s"
            held.append(worker)
        rows = sql.objects(OutboxMessage, condition, held, order_by="due_at, id")
        if not rows:
            return []
        # Candidates first, then senders, each in id order: as every writer does.
        lock_candidates(sorted({row.candidate_id for row in rows}))
        in_flight = pending_sends(rows)
        decisions = thread_decisions(rows, now, in_flight)
        repeated = repeats(rows, now)
        rewrite: list[OutboxMessage] = []
        singles = [row for row in rows if row.thread_id is None]
        verdicts = recheck.verdicts(singles, now, in_flight) if singles else {}
        identities = sql.by_ids(Sender, {row.sender_id for row in rows if row.sender_id})
        senders.lock_senders({row.sender_id for row in rows})
        budgets: dict[int | None, senders.Budget] = {}
        ready: list[tuple[OutboxMessage, Decision | None]] = []
        taken: set[int] = set()
        for row in rows:
            if row.candidate_id in taken:
                _release(row)  # the next batch sees the first one as sent
                continue
            if row.thread_id is not None:
                outcome = decisions.get(row.pk)
                if isinstance(outcome, str):
                    _close(row, OutboxMessage.Status.CANCELLED, outcome)
                    continue
                assert outcome is not None
                decision, opens = outcome
                if decision.action_index != row.action_index or decision.kind is DecisionKind.STOP:
                    _close(row, OutboxMessage.Status.CANCELLED, f"no longer due: {decision.why}")
                    continue
                by_hand = row.by_hand and decision.kind is DecisionKind.TASK
                if decision.kind is not DecisionKind.SEND and not by_hand:
                    # Held back by a rule that changed since it was written: wait for it.
                    _wait(row, decision.at, decision.why)
                    continue
                if opens > now:
                    # Due while no worker ran, and the window has closed since: not now.
                    _wait(row, opens, "sending_window")
                    continue
                if row.pk in repeated:
                    # Another message nearly the same reached them since it was written.
                    _close(row, OutboxMessage.Status.CANCELLED, "near_duplicate")
                    rewrite.append(row)
                    continue
            else:
                decision = None
            if row.pk in verdicts:
                verdict, until, why = verdicts[row.pk]
                if verdict == "cancel":
                    _close(row, OutboxMessage.Status.CANCELLED, why)
                    continue
                if verdict == "wait" and until is not None:
                    _wait(row, until, why)
                    continue
            sender = identities.get(row.sender_id) if row.sender_id else None
            if sender is not None and sender.paused_at is not None:
                _wait(row, now + senders.PAUSED_RECHECK, "sender_paused")
                continue
            budget = budgets.get(row.sender_id)
            if budget is None:
                budget = budgets[row.sender_id] = senders.Budget(sender, now)
            held = budget.admit(row.to_domain)
            if held is not None:
                _wait(row, *held)
                continue
            row.sender = sender  # type: ignore[assignment]
            ready.append((row, decision))
            taken.add(row.candidate_id)
        slots = [
            row.pk
            for row, _ in ready
            if row.sender_id in budgets and budgets[row.sender_id].limits.any
        ]
        if slots:  # each admitted row takes a slot of its sender's limits
            OutboxMessage.objects.filter(pk__in=slots).update(slot_at=now)
        if rewrite:  # their steps become tasks: rewrite them (hard rule 7)
            hold_for_rewriting(rewrite, now)
        unclaimed = [row.pk for row, _ in ready if row.status == OutboxMessage.Status.PENDING]
        if unclaimed:  # delivered at once, without a worker (simulate, the demo's history)
            OutboxMessage.objects.filter(pk__in=unclaimed).update(
                status=OutboxMessage.Status.CLAIMED, lease_until=now + lease(), claimed_by=INLINE
            )
            for row, _ in ready:
                row.claimed_by = row.claimed_by or INLINE
    return ready


# Who holds rows delivered at once, without a worker's claim (simulate, the demo's history).
INLINE = "inline"


def _send(
    ready: list[tuple[OutboxMessage, Decision | None]],
    transports: Transports,
    now: datetime,
    stopping: Callable[[], bool],
) -> tuple[list[tuple[OutboxMessage, Decision | None]], list[services.Effect]]:
    sent: list[tuple[OutboxMessage, Decision | None]] = []
    effects: list[services.Effect] = []
    if not ready:
        return sent, effects
    step = _Step(now, [row.pk for row, _ in ready])
    left = list(ready)
    paused: set[int | None] = set()
    following: Outgoing | None = None  # the next message, its envelope maybe sent ahead
    try:
        while left and not stopping() and left[0][0].sender_id not in paused:
            row, decision = left.pop(0)
            if following is None or following.message_id != row.message_id:
                following = outgoing(row, now)
            message, following = following, None
            transport = transports.for_sender(row.sender)
            if left and transports.for_sender(left[0][0].sender) is transport:
                following = outgoing(left[0][0], now)  # built before this one is `sending`
            if not step.next(row.pk, row.claimed_by):
                continue  # cancelled or taken back meanwhile (an answer came in…)
            row.attempts += 1
            result = transport.send(message, following)
            if result.outcome == "accepted":
                step.accepted = row.pk
                row.status, row.sent_at = OutboxMessage.Status.SENT, now
                sent.append((row, decision))
                continue
            effects += _record_failure(row, result, now)
            if row.status == OutboxMessage.Status.PENDING and row.last_error.endswith(
                "sender_paused"
            ):
                paused.add(row.sender_id)
                left = [(r, d) for r, d in left if r.sender_id not in paused] + [
                    (r, d) for r, d in left if r.sender_id in paused
                ]
    finally:
        transports.abandon()
        step.next(None, "")
        for row, _ in left:  # stopped: the rest go back to the queue at once
            OutboxMessage.objects.filter(
                pk=row.pk, status=OutboxMessage.Status.CLAIMED, claimed_by=row.claimed_by
            ).update(status=OutboxMessage.Status.PENDING, lease_until=None, claimed_by="")
    return sent, effects


class _Step:
    """The one durable step between two hand-overs: the message just accepted becomes
    `sent` and the next one `sending`, in a single statement (its own transaction: one
    round trip to the database per message). Run on the driver's own cursor: Django's
    wrapper around it would cost as much as SQLite's commit.

    A row becomes `sending` only while this worker still holds it (another worker may
    have taken it back after a lease ran out: then it is not sent here), with a fresh
    lease; the batch's other rows have theirs renewed as the work goes on, so that a slow
    batch is never taken for a dead worker's."""

    def __init__(self, now: datetime, ids: list[int]) -> None:
        self.now = sql.param(now)
        self.at = now
        self.ids = ids
        self.began = time.monotonic()
        self.renewed = self.began
        self.accepted: int | None = None
        table = sql.table(OutboxMessage)
        self.both = self._native(
            f"UPDATE {table} SET"
            " status = CASE WHEN id = %s THEN 'sent' ELSE 'sending' END,"
            " sent_at = CASE WHEN id = %s THEN %s ELSE sent_at END,"
            " lease_until = CASE WHEN id = %s THEN NULL ELSE %s END,"
            " attempts = CASE WHEN id = %s THEN attempts ELSE attempts + 1 END"
            " WHERE id = %s OR (id = %s AND status = 'claimed' AND claimed_by = %s)"
        )
        self.sending = self._native(
            f"UPDATE {table} SET status = 'sending', attempts = attempts + 1, lease_until = %s"
            " WHERE id = %s AND status = 'claimed' AND claimed_by = %s"
        )
        self.sent = self._native(
            f"UPDATE {table} SET status = 'sent', sent_at = %s, lease_until = NULL WHERE id = %s"
        )
        self.renew = (
            f"UPDATE {table} SET lease_until = %s WHERE claimed_by = %s"
            f" AND status IN ('claimed', 'sending') AND id IN ({sql.marks(ids)})"
        )
        self.worker = ""  # who holds the rows (the name they were claimed under)

    @staticmethod
    def _native(statement: str) -> str:
        return statement.replace("%s", "?") if db.vendor == "sqlite" else statement

    def _lease_until(self) -> Any:
        """A lease from this moment: the cycle's clock plus the time this batch took."""
        return sql.param(self.at + timedelta(seconds=time.monotonic() - self.began) + lease())

    def next(self, row_id: int | None, worker: str) -> bool:
        """Record the accepted message (if any) and mark `row_id` sending (if given) for
        `worker`, who holds it. False if `row_id` could not be marked: it was cancelled or
        taken back meanwhile."""
        done, self.accepted = self.accepted, None
        if done is None and row_id is None:
            return False
        if row_id is not None:
            self.worker = worker
        if self.worker and time.monotonic() - self.renewed > lease().total_seconds() / 3:
            self.renewed = time.monotonic()
            with db.cursor() as renewing:
                renewing.execute(self.renew, [self._lease_until(), self.worker, *self.ids])
        db.ensure_connection()
        cursor = db.connection.cursor()
        try:
            if done is not None and row_id is not None:
                until = self._lease_until()
                cursor.execute(
                    self.both,
                    [done, done, self.now, done, until, done, done, row_id, self.worker],
                )
                return bool(cursor.rowcount == 2)
            if done is not None:
                cursor.execute(self.sent, [self.now, done])
                return False
            cursor.execute(self.sending, [self._lease_until(), row_id, self.worker])
            return bool(cursor.rowcount == 1)
        finally:
            cursor.close()


def _record_failure(row: OutboxMessage, result: SendResult, now: datetime) -> list[services.Effect]:
    with transaction.atomic():
        if result.outcome == "uncertain":
            row.status, row.last_error = OutboxMessage.Status.UNCERTAIN, result.text[:1000]
            row.due_at, row.lease_until = now + settle_delay(), None  # when to look in Sent
            row.save(update_fields=["status", "last_error", "due_at", "lease_until"])
            return []
        if result.outcome == "temporary" and row.attempts < MAX_ATTEMPTS:
            row.status = OutboxMessage.Status.PENDING
            row.due_at = now + backoff(row.attempts)
            row.last_error = result.text
            row.lease_until = None
            row.save(update_fields=["status", "due_at", "last_error", "lease_until"])
            return []
        kind = severity(result.status, result.text) if result.outcome == "permanent" else "soft"
        if kind == "policy" and row.attempts < MAX_ATTEMPTS:
            # The sender was refused (its reputation, its set-up), not the candidate: the
            # message waits for the sender to be resumed (the relay: for a later retry).
            senders.pause(row.sender_id, row.recruiter_id, row.organisation_id,
                          result.status, result.text, now)  # fmt: skip
            if row.sender_id is not None:
                return _wait(row, now + senders.PAUSED_RECHECK, "sender_paused")
            return _wait(row, now + backoff(row.attempts), f"relay refused: {result.text}")
        _close(row, OutboxMessage.Status.FAILED, f"{result.code} {result.status} {result.text}")
        if kind in ("soft", "policy"):
            return []
        candidate = Candidate.objects.get(pk=row.candidate_id)
        bounce = Event(EventType.BOUNCE, now, candidate, outcome=BounceKind(kind))
        return services.record_event(bounce, now)


def record_unrecorded(now: datetime, limit: int = 500) -> int:
    """Record the rows a worker sent but died before recording (and the ones settled as
    sent by a person or the Sent folder)."""
    from relance.followups.steps import record_sent

    rows = sql.objects(OutboxMessage, "status = 'sent' AND recorded = %s", [False], order_by="id")[
        :limit
    ]
    record_sent([(row, None) for row in rows], now)
    return len(rows)


def _release(row: OutboxMessage) -> None:
    row.status, row.lease_until, row.claimed_by = OutboxMessage.Status.PENDING, None, ""
    row.save(update_fields=["status", "lease_until", "claimed_by"])


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
            row.status, row.sent_at = OutboxMessage.Status.SENT, now
            row.last_error = "it did leave (found in the Sent folder, or told so)"
            row.save(update_fields=["status", "sent_at", "last_error"])
            from relance.followups.steps import record_sent

            return record_sent([(row, None)], now)
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
