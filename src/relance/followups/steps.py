"""Doing what is due: the system's own sends, and the tasks a recruiter marks done.

Both take the decision again at `now` inside the transaction, so a hard rule that changed
since the thread was planned holds the action back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from relance.engine import (
    CallOutcome,
    Channel,
    Decision,
    DecisionKind,
    Direction,
    TouchKind,
    decide,
    opening,
)
from relance.engine.rules import near_duplicate_of
from relance.followups.models import Thread, Touchpoint
from relance.followups.recompute import (
    LOOKBACK,
    Effect,
    candidate_view,
    effect,
    load_touches,
    organisation_policy,
    recompute_candidate,
    thread_view,
)
from relance.followups.timeline import record_step, render_for
from relance.messaging import compose, outbox
from relance.messaging.models import OutboxMessage
from relance.people.models import Recruiter


class NotDue(Exception):
    """The thread has nothing of that kind due now."""


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
        rendered = render_for(thread, decision, now)
        policy = organisation_policy(thread.candidate)
        received = Touchpoint.objects.filter(
            candidate=thread.candidate,
            direction=Direction.OUT,
            kind=TouchKind.MESSAGE,
            at__gte=now - timedelta(days=policy.near_duplicate_days),
        ).values_list("body", flat=True)
        if near_duplicate_of(rendered.body, received) is not None:
            Thread.objects.filter(pk=thread.pk).update(held_action=decision.action_index)
            effects = recompute_candidate(thread.candidate, now)
            return None, [effect("task", thread, decision, now, reason="near_duplicate"), *effects]
        message_id = compose.message_id(
            thread.organisation_id, "t", thread.pk, decision.action_index
        )
        row = outbox.write(
            thread, decision.action_index, decision.step, decision.why, decision.doubles_call,
            rendered, message_id, now,
        )  # fmt: skip
    return row, []


def perform_send(thread_id: int, now: datetime, transport: outbox.Transport) -> list[Effect]:
    """Write the thread's due e-mail to the outbox and deliver it at once through
    `transport`: what `simulate` and the demo do; a worker delivers in batches."""
    row, effects = queue_send(thread_id, now)
    if row is None:
        return effects
    return outbox.deliver(row.pk, transport, now)


def record_sent(row: OutboxMessage, now: datetime) -> list[Effect]:
    """The server accepted the outbox row's message: the step is done, on the timeline —
    even when the thread ended meanwhile (a message found in the Sent folder later did
    reach the candidate)."""
    thread = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("candidate", "candidate__organisation", "recruiter", "application__job")
        .get(pk=row.thread_id)
    )
    decision = decide_now(thread, now)
    if thread.next_step != row.step:
        thread.next_step = row.step  # the step this message was, whatever comes next now
    record_step(
        thread,
        now,
        Channel.EMAIL,
        recruiter=row.recruiter,
        subject=row.subject,
        body=row.body,
        reason=row.reason,
        doubles_call=row.doubles_call,
        message_id=row.message_id,
    )
    effects = recompute_candidate(thread.candidate, now)
    sent = effect("send", thread, decision, now, reason=row.reason)
    return [sent, *effects]


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
        channel = decision.channel or Channel.PHONE
        if channel.written and not body:
            rendered = render_for(thread, decision, now)
            subject, body = rendered.subject, rendered.body
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
    return effects


def locked_thread(thread_id: int | None) -> Thread:
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


def window_opening(thread: Thread, decision: Decision, now: datetime) -> datetime:
    """`now` if the thread's due action may happen now, else the next opening of its window."""
    candidate = thread.candidate
    view = candidate_view(candidate, [])
    return opening(decision, view, organisation_policy(candidate), now)


def prepared_message(thread: Thread, now: datetime) -> compose.Rendered:
    return render_for(thread, decide_now(thread, now), now)
