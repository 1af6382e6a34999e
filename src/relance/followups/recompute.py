"""Recomputing a candidate: the engine decides again for every open thread, and the
decision is stored in the thread's indexed columns (due time, priority, reasons).

This runs after every event that touches a candidate, so its reads are hand-written
queries (followups/sql.py): the candidate's touchpoints, and their consents and stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from relance.engine import (
    CandidateView,
    Channel,
    Decision,
    DecisionKind,
    Direction,
    Mode,
    Policy,
    Purpose,
    Situation,
    Stage,
    ThreadView,
    Touch,
    TouchKind,
    decide,
    priority_key,
)
from relance.engine.plans import written_channel
from relance.engine.policy import HARD_MAX_OUT_OF_OFFICE_DAYS
from relance.followups import sql
from relance.followups.models import Thread, Touchpoint
from relance.people.models import Application, Candidate, Consent

# Touchpoints loaded before the oldest open thread started: the pressure cap looks back
# a week from a due time that is never before the thread's start.
LOOKBACK = timedelta(days=8)


@dataclass(frozen=True)
class Effect:
    """Something the system decided or did, for the caller to show or log."""

    kind: str  # send, task, alert, stop, start
    at: datetime
    candidate_id: int
    situation: str | None
    reason: str
    step: int | None = None
    channel: str | None = None
    recruiter_id: int | None = None
    thread_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


def organisation_policy(candidate: Candidate) -> Policy:
    return candidate.organisation.get_policy()


def candidate_view(candidate: Candidate, touches: list[Touch]) -> CandidateView:
    return candidate_views([candidate])[candidate.pk]


def candidate_views(candidates: list[Candidate]) -> dict[int, CandidateView]:
    """What the engine needs to know of each candidate, in one round trip for all of them:
    their live consents and their applications' stages."""
    ids = [c.pk for c in candidates]
    marks = sql.marks(ids)
    consents_and_stages = sql.fetch(
        f"SELECT candidate_id, 'consent', purpose FROM {sql.table(Consent)}"
        f" WHERE candidate_id IN ({marks}) AND withdrawn_at IS NULL UNION ALL"
        f" SELECT candidate_id, 'stage', stage FROM {sql.table(Application)}"
        f" WHERE candidate_id IN ({marks})",
        [*ids, *ids],
    )
    consents: dict[int, set[Purpose]] = {pk: set() for pk in ids}
    active: dict[int, list[int]] = {pk: [] for pk in ids}
    for candidate_id, what, value in consents_and_stages:
        if what == "consent":
            consents[candidate_id].add(Purpose(value))
        elif Stage(value) not in (Stage.REJECTED, Stage.WITHDRAWN, Stage.HIRED):
            active[candidate_id].append(Stage(value).rank)
    return {
        candidate.pk: CandidateView(
            timezone=candidate.timezone,
            country=candidate.country,
            stars=candidate.stars,
            has_email=bool(candidate.email),
            has_phone=bool(candidate.phone),
            has_linkedin=bool(candidate.linkedin_url),
            preferred_channel=Channel(candidate.preferred_channel)
            if candidate.preferred_channel
            else None,
            unsubscribed_at=candidate.unsubscribed_at,
            do_not_contact_at=candidate.do_not_contact_at,
            email_bounced_at=candidate.email_bounced_at,
            consents=frozenset(consents[candidate.pk]),
            last_contact_at=candidate.last_contact_at,
            stage_rank=max(active[candidate.pk], default=0),
        )
        for candidate in candidates
    }


def thread_view(thread: Thread) -> ThreadView:
    return ThreadView(
        id=thread.pk,
        situation=Situation(thread.situation),
        started_at=thread.started_at,
        start_seq=thread.start_touchpoint_id or 0,
        recruiter=thread.recruiter_id,
        application=thread.application_id,
        stage_rank=thread.stage_rank,
        anchor_at=thread.anchor_at,
        late_stage=thread.late_stage,
        trigger=thread.trigger,
        held_action=thread.held_action,
        held_reason=thread.held_reason,
        snoozed_until=thread.snoozed_until,
    )


_TOUCH_COLUMNS = (
    "id",
    "at",
    "kind",
    "direction",
    "channel",
    "outcome",
    "thread_id",
    "application_id",
    "doubles_call",
    "until",
)


def load_touches(candidate: Candidate, since: datetime | None) -> list[Touch]:
    """The candidate's touchpoints from `since` (all of them with None), for the engine —
    and the out-of-office replies received before it that still hold (an absence that began
    earlier delays what comes after)."""
    return load_touches_of([candidate.pk], since)[candidate.pk]


def load_touches_of(candidate_ids: list[int], since: datetime | None) -> dict[int, list[Touch]]:
    """`load_touches` for several candidates in one query."""
    query = (
        f"SELECT candidate_id, {', '.join(_TOUCH_COLUMNS)} FROM {sql.table(Touchpoint)}"
        f" WHERE candidate_id IN ({sql.marks(candidate_ids)})"
    )
    params: list[Any] = list(candidate_ids)
    if since is not None:
        query += (
            " AND (at >= %s OR (kind = 'auto_reply' AND (until >= %s OR (until IS NULL"
            " AND at >= %s))))"
        )
        without_date = since - timedelta(days=HARD_MAX_OUT_OF_OFFICE_DAYS)
        params += [sql.param(since), sql.param(since), sql.param(without_date)]
    touches: dict[int, list[Touch]] = {pk: [] for pk in candidate_ids}
    for row in sql.fetch(query, params):
        touches[row[0]].append(to_touch(row[1:]))
    return touches


def to_touch(row: tuple[Any, ...]) -> Touch:
    pk, at, kind, direction, channel, outcome, thread_id, application_id, doubles, until = row
    return Touch(
        seq=pk,
        at=sql.moment(at),
        kind=TouchKind(kind),
        direction=Direction(direction) if direction else None,
        channel=Channel(channel) if channel else None,
        outcome=outcome,
        thread=thread_id,
        application=application_id,
        doubles_call=bool(doubles),
        until=sql.moment(until) if until is not None else None,
    )


def recompute_candidate(candidate: Candidate, now: datetime) -> list[Effect]:
    """Let the engine decide again for every open thread of the candidate, and store it.

    Also keeps the keep-in-touch watch: a pool member who consented always has one open
    thread that comes due after a long silence. `candidate` must be the current row (the
    services keep it in step with what they write).
    """
    return recompute_candidates([candidate], now)


def recompute_candidates(candidates: list[Candidate], now: datetime) -> list[Effect]:
    """`recompute_candidate` for several candidates, reading each kind of row in one query
    and writing the changed threads in one statement: what a worker does after a batch of
    sends."""
    if not candidates:
        return []
    effects: list[Effect] = []
    ids = [c.pk for c in candidates]
    threads = sql.objects(Thread, f"candidate_id IN ({sql.marks(ids)}) AND status = 'open'", ids)
    by_candidate: dict[int, list[Thread]] = {}
    for thread in threads:
        by_candidate.setdefault(thread.candidate_id, []).append(thread)
    oldest = min((t.started_at for t in threads), default=now)
    touches = load_touches_of(ids, since=oldest - LOOKBACK)
    views = candidate_views(candidates)
    policies: dict[int, Policy] = {}
    changed: list[Thread] = []
    for candidate in candidates:
        policy = policies.get(candidate.organisation_id)
        if policy is None:
            policy = policies[candidate.organisation_id] = organisation_policy(candidate)
        own = by_candidate.get(candidate.pk, [])
        view, history = views[candidate.pk], touches[candidate.pk]
        for thread in own:
            effects += _decide_and_store(thread, view, history, policy, now, changed)
        watch = _ensure_watch(candidate, view, own, history)
        if watch is not None:
            history, view = _history(candidate, [watch], now)
            effects += _decide_and_store(watch, view, history, policy, now, changed)
    save_decisions(changed)
    return effects


def _history(
    candidate: Candidate, threads: list[Thread], now: datetime
) -> tuple[list[Touch], CandidateView]:
    oldest = min((t.started_at for t in threads), default=now)
    touches = load_touches(candidate, since=oldest - LOOKBACK)
    return touches, candidate_view(candidate, touches)


def _decide_and_store(
    thread: Thread,
    view: CandidateView,
    touches: list[Touch],
    policy: Policy,
    now: datetime,
    changed: list[Thread],
) -> list[Effect]:
    decision = decide(thread_view(thread), view, touches, policy, now)
    if apply_decision(thread, decision, view):
        changed.append(thread)
    if decision.kind is DecisionKind.STOP:
        return [effect("stop", thread, decision, decision.at)]
    return []


def _ensure_watch(
    candidate: Candidate, view: CandidateView, threads: list[Thread], touches: list[Touch]
) -> Thread | None:
    """Open a keep-in-touch watch for a consenting pool member who has none (among the
    threads just decided) and whom we can reach (LinkedIn or a working e-mail address)."""
    if Purpose.TALENT_POOL not in view.consents:
        return None
    if view.unsubscribed_at or view.do_not_contact_at or view.email_bounced_at:
        return None
    if written_channel(view, allowed=(Channel.LINKEDIN, Channel.EMAIL)) is None:
        return None
    if any(
        t.situation == Situation.KEEP_IN_TOUCH and not t.trigger and t.status == Thread.Status.OPEN
        for t in threads
    ):
        return None
    if touches:
        latest_at, latest_id = max((t.at, t.seq) for t in touches)
    else:  # nothing recent was loaded: look further back
        row = (
            Touchpoint.objects.filter(candidate=candidate)
            .order_by("-at", "-pk")
            .values_list("at", "pk")
            .first()
        )
        if row is None:
            return None
        latest_at, latest_id = row
    return Thread.objects.create(
        organisation_id=candidate.organisation_id,
        candidate=candidate,
        recruiter_id=candidate.owner_id,
        situation=Situation.KEEP_IN_TOUCH,
        started_at=latest_at,
        start_touchpoint_id=latest_id,
    )


def apply_decision(thread: Thread, decision: Decision, view: CandidateView) -> bool:
    """Set the engine's decision on the thread's stored fields; True if any changed (most
    events leave most threads as they were: only the changed ones are written)."""
    before = [getattr(thread, name) for name in STORED_FIELDS]
    if decision.kind is DecisionKind.STOP:
        thread.status = Thread.Status.STOPPED
        thread.stopped_at = decision.at
        thread.due_at = thread.nominal_at = thread.deadline_at = thread.attention_at = None
        thread.priority = None
        thread.next_kind = thread.next_channel = thread.next_template = ""
        thread.next_step = thread.action_index = None
    else:
        attention = decision.at
        if decision.deadline_at is not None and decision.deadline_at < attention:
            attention = decision.deadline_at
        stage_rank = thread.stage_rank if thread.stage_rank is not None else view.stage_rank
        thread.next_kind = (decision.action or Mode.TASK).value
        thread.next_step = decision.step
        thread.next_channel = decision.channel.value if decision.channel else ""
        thread.next_template = decision.template or ""
        thread.action_index = decision.action_index
        thread.due_at = decision.at
        thread.nominal_at = decision.nominal_at
        thread.deadline_at = decision.deadline_at
        thread.attention_at = attention
        thread.priority = priority_key(
            stage_rank, view.stars, attention, Situation(thread.situation)
        )
    thread.reason = decision.reason
    thread.delay_reason = decision.delay or ""
    thread.reason_params = dict(decision.params)
    return [getattr(thread, name) for name in STORED_FIELDS] != before


def save_decisions(threads: list[Thread]) -> None:
    """Write the stored fields of these threads in one statement."""
    sql.update(Thread, threads, STORED_FIELDS)


STORED_FIELDS = [
    "status",
    "stopped_at",
    "next_kind",
    "next_step",
    "next_channel",
    "next_template",
    "action_index",
    "due_at",
    "nominal_at",
    "deadline_at",
    "attention_at",
    "priority",
    "reason",
    "delay_reason",
    "reason_params",
]


def effect(
    kind: str, thread: Thread, decision: Decision, at: datetime, reason: str | None = None
) -> Effect:
    return Effect(
        kind=kind,
        at=at,
        candidate_id=thread.candidate_id,
        situation=thread.situation,
        reason=reason or decision.why,
        step=decision.step,
        channel=decision.channel.value if decision.channel else None,
        recruiter_id=thread.recruiter_id,
        thread_id=thread.pk,
        params=dict(decision.params),
    )
