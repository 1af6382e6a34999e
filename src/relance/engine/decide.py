"""decide(thread, candidate, touches, policy, now) -> Decision.

The engine first works out, from the history alone, what the thread's next action is and
the earliest instant every hard rule allows it (`plan_next`). `now` only says whether
that instant has come (send / task / alert) or not yet (wait). So the due time stored for
a thread is a function of its history, and recomputing it from scratch gives the same
answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from relance.engine import calendar, rules
from relance.engine.plans import Action, Deadline, Timing, plan_for
from relance.engine.policy import HARD_MAX_FOLLOWUPS, Policy
from relance.engine.types import (
    CallOutcome,
    CandidateView,
    Channel,
    Decision,
    DecisionKind,
    Direction,
    Mode,
    Purpose,
    Situation,
    Stage,
    ThreadView,
    Touch,
    TouchKind,
)

_MODE_TO_KIND = {
    Mode.SEND: DecisionKind.SEND,
    Mode.TASK: DecisionKind.TASK,
    Mode.ALERT: DecisionKind.ALERT,
}


class EngineError(RuntimeError):
    pass


def decide(
    thread: ThreadView,
    candidate: CandidateView,
    touches: Sequence[Touch],
    policy: Policy,
    now: datetime,
) -> Decision:
    """The next decision for `thread` as of `now`."""
    planned = plan_next(thread, candidate, touches, policy)
    if planned.kind is DecisionKind.STOP:
        return planned
    overdue = planned.deadline_at is not None and planned.deadline_at <= now
    if planned.at > now:
        return _replace(planned, kind=DecisionKind.WAIT, overdue=overdue)
    return _replace(planned, overdue=overdue)


def plan_next(
    thread: ThreadView,
    candidate: CandidateView,
    touches: Sequence[Touch],
    policy: Policy,
) -> Decision:
    """The next action of `thread` and when every rule allows it, or why it stops.

    `touches` are the candidate's touchpoints (all threads, all recruiters), at least
    from a week before the thread started; their order does not matter.
    """
    ordered = sorted(touches, key=lambda t: (t.at, t.seq))
    tz = candidate.timezone
    stop = _stop(thread, candidate, ordered)
    if stop is not None:
        return stop

    done = [t for t in ordered if t.thread == thread.id]
    start = next((t for t in done), None)
    start_channel = start.channel if start is not None else None
    plan = plan_for(thread, candidate, start_channel, policy)
    if not plan:
        return _stopped(thread, thread.started_at, "no_channel", {})
    index = len(done)
    if index < len(plan) and plan[index].only_if_call_missed and _last_call_answered(done):
        index = len(plan)
    last_at = done[-1].at if done else thread.started_at
    if index >= len(plan):
        return _stopped(thread, max(last_at, thread.started_at), "plan_done", {})

    action = plan[index]
    if action.step > HARD_MAX_FOLLOWUPS:  # pragma: no cover - plan_for cuts them
        raise EngineError(f"follow-up {action.step} is beyond the hard cap")
    previous = done[-1] if done else None
    nominal = _nominal(action, thread, candidate, done, policy)
    reason = action.reason
    params: dict[str, str | int] = _action_params(action, thread, candidate, previous, policy)

    at = nominal
    delay: str | None = None
    if action.mode is not Mode.ALERT:
        at, delay, delay_params = _earliest_allowed(
            nominal, action, thread, candidate, ordered, done, policy
        )
        params.update(delay_params)
    elif thread.snoozed_until is not None and thread.snoozed_until > at:
        # An alert has no window or cap to obey, but a recruiter may put it off too (its
        # deadline still says when it is late).
        at, delay = thread.snoozed_until, "snoozed"
        params["until_at"] = _local_iso(thread.snoozed_until, tz)

    mode = action.mode
    if thread.held_action == index and mode is Mode.SEND:
        mode, reason = Mode.TASK, thread.held_reason or "near_duplicate"

    deadline = _deadline(action, thread, candidate, previous, policy)
    if deadline is not None:
        params["deadline_at"] = _local_iso(deadline, tz)
    return Decision(
        kind=_MODE_TO_KIND[mode],
        at=at,
        situation=thread.situation,
        reason=reason,
        params=params,
        delay=delay,
        step=action.step,
        channel=action.channel,
        action=mode,
        action_index=index,
        template=action.template or None,
        nominal_at=nominal,
        deadline_at=deadline,
        doubles_call=action.doubles_call,
    )


def acknowledgement(candidate: CandidateView, applied_at: datetime) -> Decision | None:
    """The receipt of an application: sent at once, whatever the hour.

    It is what the candidate just asked for, like a receipt: it is not part of any
    thread, does not count against the pressure cap and ignores the sending window.
    It is not sent to an address known to bounce, nor to someone marked do-not-contact.
    """
    if not candidate.has_email or candidate.email_bounced_at or candidate.do_not_contact_at:
        return None
    return Decision(
        kind=DecisionKind.SEND,
        at=applied_at,
        situation=Situation.APPLICATION,
        reason="acknowledgement",
        step=0,
        channel=Channel.EMAIL,
        action=Mode.SEND,
        template="application.ack.email",
        nominal_at=applied_at,
    )


def window_for(channel: Channel | None, policy: Policy) -> tuple[time, time]:
    return policy.call_window if channel is Channel.PHONE else policy.sending_window


def opening(
    decision: Decision, candidate: CandidateView, policy: Policy, now: datetime
) -> datetime:
    """When a due action may happen, seen from `now`: `now` if its window is open, else the
    next opening. A due time in the past is not a licence to send outside the window (a
    worker that was down waits for the next opening)."""
    if decision.channel is None or decision.kind is DecisionKind.ALERT:
        return now
    window = window_for(decision.channel, policy)
    return calendar.next_open(now, candidate.timezone, candidate.country, window)[0]


# --- stops ---


def _stop(
    thread: ThreadView, candidate: CandidateView, ordered: Sequence[Touch]
) -> Decision | None:
    refusals = [
        (candidate.unsubscribed_at, "unsubscribed"),
        (candidate.do_not_contact_at, "do_not_contact"),
        (candidate.email_bounced_at, "bounced"),
    ]
    found: list[tuple[datetime, int, str, dict[str, str | int]]] = []
    for at, code in refusals:
        if at is not None:
            found.append((max(at, thread.started_at), -1, code, {}))
    chases = thread.situation.chases_an_answer
    for touch in ordered:
        if touch.seq <= thread.start_seq:
            continue
        stop_code, params = _stop_reason(thread, touch, chases)
        if stop_code is not None:
            found.append((touch.at, touch.seq, stop_code, params))
            break
    if (
        thread.situation is Situation.KEEP_IN_TOUCH
        and Purpose.TALENT_POOL not in candidate.consents
    ):
        withdrawn = [
            t.at
            for t in ordered
            if t.kind is TouchKind.CONSENT_WITHDRAWN
            and t.outcome == Purpose.TALENT_POOL
            and t.seq > thread.start_seq
        ]
        found.append((withdrawn[0] if withdrawn else thread.started_at, -1, "consent_missing", {}))
    if not found:
        return None
    at, _, code, params = min(found, key=lambda f: (f[0], f[1]))
    return _stopped(thread, at, code, params)


def _stop_reason(
    thread: ThreadView, touch: Touch, chases: bool
) -> tuple[str | None, dict[str, str | int]]:
    if touch.kind is TouchKind.STAGE_CHANGE:
        stage = Stage(touch.outcome)
        if stage.ends_everything:
            return "stage_end", {"stage": stage.value}
        same_application = touch.application == thread.application
        if chases:
            return "stage_changed", {"stage": stage.value}
        if thread.situation is Situation.ANSWER_DEADLINE and same_application:
            return "stage_changed", {"stage": stage.value}
        if (
            thread.situation is Situation.REJECTION
            and same_application
            and stage is not Stage.REJECTED
        ):
            return "stage_changed", {"stage": stage.value}
        return None, {}
    if not chases:
        return None, {}
    if touch.direction is Direction.IN and touch.kind in (TouchKind.MESSAGE, TouchKind.CALL):
        return "replied", {"channel": (touch.channel or Channel.EMAIL).value}
    if touch.kind is TouchKind.APPLICATION:
        return "replied", {"channel": (touch.channel or Channel.EMAIL).value}
    if (
        touch.kind is TouchKind.CALL
        and touch.direction is Direction.OUT
        and touch.outcome == CallOutcome.ANSWERED
    ):
        return "call_answered", {}
    return None, {}


def _stopped(thread: ThreadView, at: datetime, code: str, params: dict[str, str | int]) -> Decision:
    return Decision(
        kind=DecisionKind.STOP, at=at, situation=thread.situation, reason=code, params=params
    )


def _last_call_answered(done: Sequence[Touch]) -> bool:
    calls = [t for t in done if t.kind is TouchKind.CALL]
    return bool(calls) and calls[-1].outcome == CallOutcome.ANSWERED


# --- timing ---


def _nominal(
    action: Action,
    thread: ThreadView,
    candidate: CandidateView,
    done: Sequence[Touch],
    policy: Policy,
) -> datetime:
    previous = done[-1] if done else None
    anchor = previous.at if previous is not None else thread.started_at
    tz = candidate.timezone
    match action.timing:
        case Timing.AT_ONCE | Timing.NOT_BEFORE_DAYS:
            return anchor
        case Timing.AFTER_DAYS:
            return anchor + timedelta(days=action.days)
        case Timing.OTHER_TIME_NEXT_DAY:
            calls = [t for t in done if t.kind is TouchKind.CALL]
            if not calls:
                return anchor
            day = calendar.next_working_day(calendar.local(anchor, tz).date(), candidate.country)
            clock = calendar.other_time_of_day(calls[-1].at, tz, policy.call_window)
            return calendar.at_local(day, clock, tz)
        case Timing.AFTER_SILENCE_DAYS:
            last = candidate.last_contact_at or thread.started_at
            return max(thread.started_at, last + timedelta(days=action.days))
        case Timing.FROM_START_DAYS:
            return thread.started_at + timedelta(days=action.days)
    raise EngineError(f"unknown timing {action.timing}")  # pragma: no cover


def _deadline(
    action: Action,
    thread: ThreadView,
    candidate: CandidateView,
    previous: Touch | None,
    policy: Policy,
) -> datetime | None:
    tz, country = candidate.timezone, candidate.country
    match action.deadline:
        case None:
            return None
        case Deadline.WORKING_HOURS:
            window = policy.call_window
            return calendar.add_working_hours(
                thread.started_at, action.deadline_amount, tz, country, window
            )
        case Deadline.END_OF_NEXT_WORKING_DAY:
            return calendar.end_of_next_working_day(
                thread.started_at, tz, country, policy.sending_window[1]
            )
        case Deadline.DAYS_FROM_START:
            return thread.started_at + timedelta(days=action.deadline_amount)
        case Deadline.DAYS_FROM_ANCHOR:
            anchor = thread.anchor_at or thread.started_at
            return max(anchor + timedelta(days=action.deadline_amount), thread.started_at)
        case Deadline.DAYS_AFTER_PREVIOUS:
            base = previous.at if previous is not None else thread.started_at
            return base + timedelta(days=action.deadline_amount)
    raise EngineError(f"unknown deadline {action.deadline}")  # pragma: no cover


def _earliest_allowed(
    nominal: datetime,
    action: Action,
    thread: ThreadView,
    candidate: CandidateView,
    ordered: Sequence[Touch],
    done: Sequence[Touch],
    policy: Policy,
) -> tuple[datetime, str | None, dict[str, str | int]]:
    """Push `nominal` forward until every rule allows it; name the rule that held it most."""
    assert action.channel is not None
    tz, country = candidate.timezone, candidate.country
    channel = action.channel
    counted = rules.counted_times(ordered)
    # The action is not done yet: it happens after everything already recorded. A message
    # that left after the moment the plan wanted it (an overdue task, a worker that was
    # down) must count as before it, not after.
    latest = counted[-1] if counted else None
    doubles_counted_call = action.doubles_call and _previous_call_counted(done)
    away = rules.away_until(ordered, policy) if thread.situation.chases_an_answer else None
    not_before = None
    if action.timing is Timing.NOT_BEFORE_DAYS:
        anchor = thread.anchor_at or thread.started_at
        not_before = anchor + timedelta(days=action.days)
    window = window_for(channel, policy)

    moves: dict[str, timedelta] = {}
    params: dict[str, dict[str, str | int]] = {}
    at = nominal
    # The last rule that moved the action, if any: when it lands outside the sending hours
    # (the pressure cap's "tomorrow" is midnight), the wait until they open is its doing —
    # "already 1 message today", not "outside sending hours" on a weekday afternoon.
    cause: str | None = None

    def moved(code: str, new: datetime, extra: dict[str, str | int] | None = None) -> None:
        nonlocal at, cause
        if new > at:
            moves[code] = moves.get(code, timedelta()) + (new - at)
            params.setdefault(code, extra or {})
            at = new
            if code not in CALENDAR_REASONS:
                cause = code

    for _ in range(64):
        before = at
        if thread.snoozed_until is not None:
            moved(
                "snoozed",
                max(at, thread.snoozed_until),
                {"until_at": _local_iso(thread.snoozed_until, tz)},
            )
        if not_before is not None:
            moved("rejection_not_before", max(at, not_before), {"days": int(action.days)})
        if away is not None and away > at:
            moved("out_of_office", away, {"until_on": _local_iso(away, tz)})
        moved(
            "spacing",
            rules.written_spacing_earliest(at, done, channel, policy),
            {"days": f"{policy.spacing_days:g}"},
        )
        if channel.written or not doubles_counted_call:
            probe = max(at, latest) if latest is not None else at
            pressure_at = rules.pressure_earliest(probe, counted, tz, policy, doubles_counted_call)
            if pressure_at > probe:
                moved("pressure_cap", pressure_at, _pressure_params(probe, counted, tz, policy))
        opening, holiday = calendar.next_open(at, tz, country, window)
        if opening > at and cause is not None:
            moved(cause, opening)
        elif opening > at:
            if holiday is not None:
                day = _first_holiday(at, opening, tz, country)
                moved("holiday", opening, {"holiday": holiday, "holiday_on": day})
            elif _spans_weekend(at, opening, tz):
                moved("weekend", opening, {"resume_at": _local_iso(opening, tz)})
            else:
                code = "call_window" if channel is Channel.PHONE else "sending_window"
                moved(code, opening, {"window": f"{window[0]:%H:%M}–{window[1]:%H:%M}"})
        if at == before:
            break
    else:  # pragma: no cover - the rules only ever move forward to a settled point
        raise EngineError("the rules did not settle on a time")

    if not moves:
        return at, None, {}
    main = max(moves, key=lambda code: moves[code])
    return at, main, params[main]


def _previous_call_counted(done: Sequence[Touch]) -> bool:
    calls = [t for t in done if t.kind is TouchKind.CALL]
    return bool(calls) and calls[-1].counts_for_pressure_alone


def _pressure_params(
    at: datetime, counted: Sequence[datetime], tz: str, policy: Policy
) -> dict[str, str | int]:
    day = calendar.local(at, tz).date()
    same_day = sum(1 for x in counted if calendar.local(x, tz).date() == day)
    if same_day >= policy.max_messages_per_day:
        return {"count": same_day, "period": "day"}
    before = sum(1 for x in counted if at - rules.WEEK < x <= at)
    if before >= policy.max_messages_per_7_days:
        return {"count": before, "period": "week"}
    # Held by messages already sent after that date (an overdue follow-up).
    around = sum(1 for x in counted if at - rules.WEEK < x < at + rules.WEEK)
    return {"count": around, "period": "around"}


CALENDAR_REASONS = frozenset({"sending_window", "call_window", "weekend", "holiday"})


def _spans_weekend(start: datetime, opening: datetime, tz: str) -> bool:
    """Whether waiting from `start` to `opening` crosses a Saturday or a Sunday."""
    day = calendar.local(start, tz).date()
    last = calendar.local(opening, tz).date()
    while day < last:
        if day.weekday() >= 5:
            return True
        day += timedelta(days=1)
    return False


def _first_holiday(start: datetime, opening: datetime, tz: str, country: str) -> str:
    day: date = calendar.local(start, tz).date()
    last = calendar.local(opening, tz).date()
    while day < last and not calendar.holiday_name(day, country):
        day += timedelta(days=1)
    return day.isoformat()


def _action_params(
    action: Action,
    thread: ThreadView,
    candidate: CandidateView,
    previous: Touch | None,
    policy: Policy,
) -> dict[str, str | int]:
    tz = candidate.timezone
    params: dict[str, str | int] = {"step": action.step}
    if previous is not None:
        params["previous_at"] = _local_iso(previous.at, tz)
    if action.channel is not None:
        params["channel"] = action.channel.value
    if action.reason in ("application_call", "application_message"):
        params["hours"] = policy.application_call_within_hours
    if action.reason == "keep_in_touch_trigger":
        params["trigger"] = thread.trigger
    if action.reason == "keep_in_touch" and candidate.last_contact_at is not None:
        params["last_contact_at"] = _local_iso(candidate.last_contact_at, tz)
    return params


def _local_iso(moment: datetime, tz: str) -> str:
    return calendar.local(moment, tz).isoformat(timespec="minutes")


def _replace(decision: Decision, **changes: object) -> Decision:
    from dataclasses import replace

    return replace(decision, **changes)  # type: ignore[arg-type]
