"""Doing what is due: the system's own sends, and the tasks a recruiter marks done.

Both take the decision again at `now` inside the transaction, so a hard rule that changed
since the thread was planned holds the action back.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from relance import hooks
from relance.engine import (
    CallOutcome,
    Channel,
    Decision,
    DecisionKind,
    Direction,
    Policy,
    Situation,
    Touch,
    TouchKind,
    decide,
    opening,
    window_for,
)
from relance.engine.rules import near_duplicate_of
from relance.followups import sql
from relance.followups.models import Thread, Touchpoint
from relance.followups.recompute import (
    LOOKBACK,
    Effect,
    apply_decision,
    candidate_view,
    candidate_views,
    effect,
    load_touches,
    load_touches_of,
    organisation_policy,
    recompute_candidate,
    recompute_candidates,
    save_decisions,
    thread_view,
)
from relance.followups.timeline import record_step, render_for
from relance.messaging import checks, compose, outbox
from relance.messaging.checks import Unsendable
from relance.messaging.models import OutboxMessage
from relance.messaging.render import TemplateProblem
from relance.people.models import Candidate, Organisation, Recruiter

ACKNOWLEDGEMENT = "acknowledgement"
log = logging.getLogger(__name__)


class NotDue(Exception):
    """The thread has nothing of that kind due now. `code` and `params`, when given, say
    why in the engine's words (a reason code with its sentence)."""

    def __init__(
        self, message: str, code: str = "", params: dict[str, str | int] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.params = params or {}


def queue_send(thread_id: int, now: datetime) -> tuple[OutboxMessage | None, list[Effect]]:
    """Write the thread's due e-mail to the outbox (the system's own sends).

    The decision is taken again at `now`, so a hard rule that changed since it was
    planned holds it back. A message nearly identical to one the candidate received in
    the last 90 days is not written: it becomes a task to rewrite it (hard rule 7).
    """
    with transaction.atomic():
        thread = locked_thread(thread_id)
        decision = decide_now(thread, now)
        if decision.kind is not DecisionKind.SEND or decision.action_index is None:
            raise NotDue(
                f"thread {thread_id}: nothing to send at {now.isoformat()} ({decision.kind})"
            )
        policy = organisation_policy(thread.candidate)
        since = now - timedelta(days=policy.near_duplicate_days)
        received = received_bodies([thread.candidate_id], since, exclude=[])
        try:
            rendered = render_for(thread, decision, now)
            if near_duplicate_of(rendered.body, received.get(thread.candidate_id, [])):
                return None, _hold(thread, decision, "near_duplicate", now)
            message_id = compose.message_id(
                thread.organisation_id, "t", thread.pk, decision.action_index
            )
            with transaction.atomic():  # a refused write leaves nothing behind
                row = outbox.write(
                    thread, decision.action_index, decision.step, decision.why,
                    decision.doubles_call, rendered, message_id, now,
                )  # fmt: skip
        except (TemplateProblem, Unsendable) as problem:
            # An organisation's template that cannot be rendered, or that still holds a
            # placeholder: a recruiter writes this one, the other threads go on.
            log.warning("thread %s: %s; held for a recruiter to write it", thread.pk, problem)
            return None, _hold(thread, decision, "unsendable", now)
    return row, []


def _hold(thread: Thread, decision: Decision, why: str, now: datetime) -> list[Effect]:
    """The thread's automatic send becomes a task for a recruiter to (re)write, with why."""
    Thread.objects.filter(pk=thread.pk).update(held_action=decision.action_index, held_reason=why)
    effects = recompute_candidate(thread.candidate, now)
    return [effect("task", thread, decision, now, reason=why), *effects]


def send_edited(
    thread_id: int, now: datetime, subject: str, body: str, recruiter: Recruiter | None
) -> OutboxMessage:
    """Send the e-mail of a task a recruiter edited (a personal rejection, interview
    feedback): written to the outbox as they wrote it, and checked again when it leaves
    like every other message. The task is done when the server accepts it."""
    subject, body = subject.strip(), body.strip()
    refused = checks.problem(subject, body)  # empty, or a placeholder left: the reason
    if refused is not None:
        raise refused  # a ValueError, in the reader's language
    with transaction.atomic():
        thread = locked_thread(thread_id)
        decision = decide_now(thread, now)
        if (
            decision.kind is not DecisionKind.TASK
            or decision.channel is not Channel.EMAIL
            or decision.action_index is None
        ):
            raise NotDue(f"thread {thread_id}: no e-mail to write now ({decision.kind})")
        if not thread.candidate.email:
            raise NotDue(f"thread {thread_id}: the candidate has no e-mail address")
        message_id = compose.message_id(
            thread.organisation_id, "t", thread.pk, decision.action_index
        )
        rendered = compose.Rendered(decision.template or "", thread.candidate.language,
                                    subject, body)  # fmt: skip
        if recruiter is not None and thread.recruiter_id != recruiter.pk:
            Thread.objects.filter(pk=thread.pk).update(recruiter=recruiter)
            thread.recruiter = recruiter
        return outbox.write(
            thread, decision.action_index, decision.step, decision.why, decision.doubles_call,
            rendered, message_id, now, by_hand=True,
        )  # fmt: skip


def perform_send(thread_id: int, now: datetime, transport: outbox.Transport) -> list[Effect]:
    """Write the thread's due e-mail to the outbox and deliver it at once through
    `transport`: what `simulate` and the demo do; a worker delivers in batches."""
    row, effects = queue_send(thread_id, now)
    if row is None:
        return effects
    return outbox.deliver(row.pk, transport, now)


def record_sent(sent: list[tuple[OutboxMessage, Decision | None]], now: datetime) -> list[Effect]:
    """The server accepted these outbox rows' messages: each step is done, on its
    candidate's timeline — even when the thread ended meanwhile (a message found in the
    Sent folder later did reach the candidate). One transaction for the whole group; a row
    already recorded (by another worker) is left alone."""
    if not sent:
        return []
    with transaction.atomic():
        ids = [row.pk for row, _ in sent]
        lock_candidates(sorted({row.candidate_id for row, _ in sent}))
        fresh = {
            pk
            for (pk,) in sql.fetch(
                f"SELECT id FROM {sql.table(OutboxMessage)}"
                f" WHERE id IN ({sql.marks(ids)}) AND recorded = %s",
                [*ids, False],
            )
        }
        sent = [(row, decision) for row, decision in sent if row.pk in fresh]
        if not sent:
            return []
        OutboxMessage.objects.filter(pk__in=fresh).update(recorded=True)
        thread_ids = [row.thread_id for row, _ in sent if row.thread_id is not None]
        threads = sql.by_ids(Thread, thread_ids)
        sql.insert(
            Touchpoint,
            [
                Touchpoint(
                    organisation_id=row.organisation_id,
                    candidate_id=row.candidate_id,
                    recruiter_id=row.recruiter_id,
                    thread_id=row.thread_id,
                    application_id=threads[row.thread_id].application_id
                    if row.thread_id in threads
                    else None,
                    at=row.sent_at or now,
                    kind=TouchKind.ACKNOWLEDGEMENT
                    if row.reason == ACKNOWLEDGEMENT
                    else TouchKind.MESSAGE,
                    direction=Direction.OUT,
                    channel=Channel.EMAIL,
                    step=row.step,
                    doubles_call=row.doubles_call,
                    subject=row.subject,
                    body=row.body,
                    reason=row.reason,
                    message_id=row.message_id,
                )
                for row, _ in sent
            ],
        )
        candidates = list(sql.by_ids(Candidate, {row.candidate_id for row, _ in sent}).values())
        note_sends(candidates, [row for row, _ in sent], now)
        hooks.emit_many("message.sent", [
            (row.organisation_id, {"candidate_id": row.candidate_id, "channel": "email",
                                   "thread_id": row.thread_id, "by": "relance"},
             row.sent_at or now)
            for row, _ in sent
        ])  # fmt: skip
        effects = [
            Effect(
                kind="send",
                at=now,
                candidate_id=row.candidate_id,
                situation=threads[row.thread_id].situation if row.thread_id in threads else None,
                reason=row.reason,
                step=row.step,
                channel=Channel.EMAIL.value,
                recruiter_id=row.recruiter_id,
                thread_id=row.thread_id,
                params=dict(decision.params) if decision is not None else {},
            )
            for row, decision in sent
            # An acknowledgement's send was told when it was decided, with the application.
            if row.reason != ACKNOWLEDGEMENT
        ]
        return effects + recompute_candidates(candidates, now)


def note_sends(candidates: list[Candidate], rows: list[OutboxMessage], now: datetime) -> None:
    """The candidates' last contact is when their message left; one without an owner gets
    the sender. One statement for all of them."""
    sender = {row.candidate_id: row.recruiter_id for row in rows}
    left: dict[int, datetime] = {}
    for row in rows:
        left[row.candidate_id] = max(left.get(row.candidate_id, now), row.sent_at or now)
    for candidate in candidates:
        at = left[candidate.pk]
        if candidate.last_contact_at is None or candidate.last_contact_at < at:
            candidate.last_contact_at = at
        if candidate.owner_id is None:
            candidate.owner_id = sender.get(candidate.pk)
    sql.update(Candidate, candidates, ["last_contact_at", "owner"])


def lock_candidates(candidate_ids: list[int]) -> None:
    """Take the candidates' row locks, in id order (every writer does so: no deadlock). On
    SQLite the transaction already holds the database's write lock."""
    if candidate_ids and connection.vendor == "postgresql":
        sql.fetch(
            f"SELECT id FROM {sql.table(Candidate)} WHERE id IN ({sql.marks(candidate_ids)})"
            " ORDER BY id FOR UPDATE",
            list(candidate_ids),
        )


def pending_sends(rows: list[OutboxMessage]) -> dict[int, list[Touch]]:
    """E-mails to these rows' candidates that other rows may be handing over right now —
    claimed, being sent, uncertain, or sent but not yet on the timeline — as touches the
    engine counts (the pressure cap must see them)."""
    candidate_ids = sorted({row.candidate_id for row in rows})
    ids = [row.pk for row in rows]
    found: dict[int, list[Touch]] = {pk: [] for pk in candidate_ids}
    query = (
        f"SELECT id, candidate_id, thread_id FROM {sql.table(OutboxMessage)}"
        f" WHERE candidate_id IN ({sql.marks(candidate_ids)}) AND id NOT IN ({sql.marks(ids)})"
        " AND (status IN ('claimed', 'sending', 'uncertain')"
        " OR (status = 'sent' AND recorded = %s))"
    )
    for pk, candidate_id, thread_id in sql.fetch(query, [*candidate_ids, *ids, False]):
        found[candidate_id].append(
            Touch(
                seq=IN_FLIGHT_SEQ + pk,
                at=NOW_PLACEHOLDER,
                kind=TouchKind.MESSAGE,
                direction=Direction.OUT,
                channel=Channel.EMAIL,
                thread=thread_id,
            )
        )
    return found


def received_bodies(
    candidate_ids: list[int], since: datetime, exclude: list[int]
) -> dict[int, list[str]]:
    """The written messages each candidate received since `since`, and those on their way
    to them now (outbox rows other than `exclude` that are claimed, being sent, uncertain,
    or sent but not yet on the timeline): what hard rule 7 compares a new message with."""
    marks = sql.marks(candidate_ids)
    query = (
        f"SELECT candidate_id, body FROM {sql.table(Touchpoint)}"
        f" WHERE candidate_id IN ({marks}) AND direction = 'out' AND kind = 'message'"
        " AND at >= %s"
        f" UNION ALL SELECT candidate_id, body FROM {sql.table(OutboxMessage)}"
        f" WHERE candidate_id IN ({marks})"
        " AND (status IN ('claimed', 'sending', 'uncertain')"
        " OR (status = 'sent' AND recorded = %s))"
    )
    params: list[object] = [*candidate_ids, sql.param(since), *candidate_ids, False]
    if exclude:
        query += f" AND id NOT IN ({sql.marks(exclude)})"
        params += exclude
    found: dict[int, list[str]] = {}
    for candidate_id, body in sql.fetch(query, params):
        found.setdefault(candidate_id, []).append(body)
    return found


def repeats(rows: list[OutboxMessage], now: datetime) -> set[int]:
    """The rows of threads, written by the system, that nearly repeat a message the
    candidate received — or one on its way to them — in the policy's window (hard rule 7).
    Checked again when a message leaves: another recruiter's message may have gone since
    it was written. A recruiter's own edited message (by hand) was theirs to judge.

    When a row was written it was compared with everything received until then and
    everything on its way: here, only what reached the person since (with a day's slack for
    a message logged a little after it left) and what is on its way now. Most rows leave
    seconds after they were written: there is nothing to compare them with."""
    automatic = [row for row in rows if row.thread_id is not None and not row.by_hand]
    if not automatic:
        return set()
    organisations = Organisation.objects.filter(pk__in={row.organisation_id for row in automatic})
    days = max(org.get_policy().near_duplicate_days for org in organisations)
    written = min(row.created_at for row in automatic) - timedelta(days=1)
    since = max(now - timedelta(days=days), written)
    candidate_ids = sorted({row.candidate_id for row in automatic})
    received = received_bodies(candidate_ids, since, [r.pk for r in rows])
    return {
        row.pk
        for row in automatic
        if near_duplicate_of(row.body, received.get(row.candidate_id, [])) is not None
    }


def hold_for_rewriting(rows: list[OutboxMessage], now: datetime) -> list[Effect]:
    """These rows' steps become tasks to rewrite (hard rule 7); their candidates' threads
    are decided again. In the caller's transaction."""
    for row in rows:
        Thread.objects.filter(pk=row.thread_id).update(
            held_action=row.action_index, held_reason="near_duplicate"
        )
    candidates = list(sql.by_ids(Candidate, {row.candidate_id for row in rows}).values())
    return recompute_candidates(candidates, now)


def cancel_undue(candidate_id: int) -> int:
    """The candidate's outbox rows not handed over yet whose step is no longer their
    thread's next one — done by hand meanwhile, or the thread ended (an answer, a
    refusal): cancelled at once. A worker that checked them a moment ago finds them
    cancelled when it is about to hand them over, and skips them. In the caller's
    transaction, after the candidate's threads were decided again."""
    waiting = [OutboxMessage.Status.PENDING, OutboxMessage.Status.CLAIMED]
    rows = list(
        OutboxMessage.objects.filter(
            candidate_id=candidate_id, status__in=waiting, thread__isnull=False
        ).values_list("pk", "thread_id", "action_index")
    )
    if not rows:
        return 0
    threads = {
        pk: (status, index)
        for pk, status, index in Thread.objects.filter(
            pk__in={thread_id for _, thread_id, _ in rows}
        ).values_list("pk", "status", "action_index")
    }
    stale = [
        pk
        for pk, thread_id, index in rows
        if threads.get(thread_id, ("", None)) != (Thread.Status.OPEN, index)
    ]
    return OutboxMessage.objects.filter(pk__in=stale, status__in=waiting).update(
        status=OutboxMessage.Status.CANCELLED, last_error="no longer due", lease_until=None
    )


def thread_decisions(
    rows: list[OutboxMessage], now: datetime, in_flight: dict[int, list[Touch]]
) -> dict[int, tuple[Decision, datetime] | str]:
    """For each row of a thread: the engine's decision now, and when the sending window
    opens for it — or why the thread can no longer send (it ended)."""
    thread_ids = [row.thread_id for row in rows if row.thread_id is not None]
    threads = sql.by_ids(Thread, thread_ids)
    candidates = sql.by_ids(Candidate, {t.candidate_id for t in threads.values()})
    if not threads:
        return {}
    views = candidate_views(list(candidates.values()))
    oldest = min(t.started_at for t in threads.values())
    touches = load_touches_of(list(candidates), since=oldest - LOOKBACK)
    policies: dict[int, Policy] = {}
    outcome: dict[int, tuple[Decision, datetime] | str] = {}
    for row in rows:
        thread = threads.get(row.thread_id) if row.thread_id is not None else None
        if thread is None:
            continue
        if thread.status != Thread.Status.OPEN:
            outcome[row.pk] = f"thread {thread.pk} is {thread.status}"
            continue
        candidate = candidates[thread.candidate_id]
        policy = policies.get(candidate.organisation_id)
        if policy is None:
            policy = policies[candidate.organisation_id] = organisation_policy(candidate)
        view = views[candidate.pk]
        pending = [replace(t, at=now) for t in in_flight.get(candidate.pk, [])]
        history = touches[candidate.pk] + pending
        decision = decide(thread_view(thread), view, history, policy, now)
        outcome[row.pk] = (decision, opening(decision, view, policy, now))
    return outcome


# Touches of e-mails being handed over have no row yet: numbered after every real one.
IN_FLIGHT_SEQ = 1 << 60
NOW_PLACEHOLDER = datetime.min.replace(tzinfo=UTC)


def complete_task(
    thread_id: int,
    now: datetime,
    *,
    outcome: str = CallOutcome.NO_ANSWER,
    recruiter: Recruiter | None = None,
    subject: str = "",
    body: str = "",
) -> list[Effect]:
    """Mark the thread's due task done: a call made (with its outcome), a LinkedIn message
    or an SMS sent by hand. The next step is planned from this moment."""
    with transaction.atomic():
        thread = locked_thread(thread_id)
        decision = decide_now(thread, now)
        # Only what is due: doing a follow-up early would break the rules that timed it.
        if decision.kind not in (DecisionKind.TASK, DecisionKind.SEND):
            raise NotDue(f"thread {thread_id}: nothing due to do now ({decision.kind})")
        # Due since earlier, but not at this hour: a message or a call outside its window
        # waits for the window to open again (hard rule 6), as the worker's sends do.
        policy = organisation_policy(thread.candidate)
        opens = opening(decision, candidate_view(thread.candidate, []), policy, now)
        if opens > now:
            window = window_for(decision.channel, policy)
            raise NotDue(
                f"thread {thread_id}: outside its hours until {opens.isoformat()}",
                "call_window" if decision.channel is Channel.PHONE else "sending_window",
                {"window": f"{window[0]:%H:%M}–{window[1]:%H:%M}"},
            )
        channel = decision.channel or Channel.PHONE
        if channel.written and not body:
            try:
                rendered = render_for(thread, decision, now)
                subject, body = rendered.subject, rendered.body
            except TemplateProblem:  # held as unsendable: what the recruiter wrote is theirs
                subject, body = "", ""
        record_step(
            thread,
            now,
            channel,
            recruiter=recruiter or thread.recruiter,
            outcome=outcome if channel is Channel.PHONE else "",
            subject=subject,
            body=body,
            reason=decision.reason,
            doubles_call=decision.doubles_call,
        )
        effects = recompute_candidate(thread.candidate, now)
        cancel_undue(thread.candidate_id)  # its automatic e-mail, if one was on its way
    return effects


def locked_thread(thread_id: int | None) -> Thread:
    candidate_id = Thread.objects.filter(pk=thread_id).values_list("candidate_id", flat=True)
    lock_candidates(list(candidate_id))
    thread = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("candidate", "candidate__organisation", "recruiter", "application__job")
        .get(pk=thread_id)
    )
    if thread.status != Thread.Status.OPEN:
        raise NotDue(f"thread {thread_id} is {thread.status}")
    return thread


def decide_now(thread: Thread, now: datetime) -> Decision:
    candidate = thread.candidate
    touches = load_touches(candidate, since=thread.started_at - LOOKBACK)
    view = candidate_view(candidate, touches)
    return decide(thread_view(thread), view, touches, organisation_policy(candidate), now)


def prepared_message(thread: Thread, now: datetime) -> compose.Rendered:
    return render_for(thread, decide_now(thread, now), now)


def snooze(thread_id: int, now: datetime, until: datetime) -> None:
    """Put the thread's next action off until `until` (a recruiter's "not today"): the
    engine holds it back with the reason `snoozed`; every other rule still applies after."""
    if until <= now:
        raise NotDue(f"thread {thread_id}: a snooze must end in the future")
    with transaction.atomic():
        thread = locked_thread(thread_id)
        thread.snoozed_until = until
        thread.save(update_fields=["snoozed_until"])
        recompute_candidate(thread.candidate, now)


def skip(thread_id: int, now: datetime, why: str, recruiter: Recruiter | None) -> Effect:
    """End the thread on a recruiter's decision, with their reason, written on the
    candidate's timeline. Nothing more of this thread is sent or asked."""
    why = why.strip()
    if not why:
        raise NotDue(f"thread {thread_id}: skipping a follow-up needs a reason")
    with transaction.atomic():
        thread = locked_thread(thread_id)
        Touchpoint.objects.create(
            organisation_id=thread.organisation_id,
            candidate=thread.candidate,
            recruiter=recruiter,
            thread=None,
            application=thread.application,
            at=now,
            kind=TouchKind.NOTE,
            body=why,
            reason="skipped",
        )
        stop = Decision(
            kind=DecisionKind.STOP,
            at=now,
            situation=Situation(thread.situation),
            reason="skipped",
            params={"why": why[:200]},
        )
        apply_decision(thread, stop, candidate_view(thread.candidate, []))
        save_decisions([thread])
        cancel_undue(thread.candidate_id)
        return effect("stop", thread, stop, now)
