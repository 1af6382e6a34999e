"""The hard rules that hold a message back: pressure cap, spacing, out-of-office,
near-duplicates, one voice. Each returns the earliest instant it allows, so the engine
can tell which rule delayed a message and by how much."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from relance.engine import calendar
from relance.engine.policy import Policy
from relance.engine.types import Channel, Direction, Touch, TouchKind

WEEK = timedelta(days=7)


def counted_times(touches: Iterable[Touch]) -> list[datetime]:
    """The instants that count against the pressure cap, all threads and recruiters.

    A written message that doubles a call (the SMS after a voicemail) is part of the same
    contact: the pair counts once, whichever of the two counts on its own.
    """
    counted: list[datetime] = []
    last_call_counted: dict[int | None, bool] = {}
    for touch in sorted(touches, key=lambda t: (t.at, t.seq)):
        if touch.kind is TouchKind.CALL and touch.direction is Direction.OUT:
            last_call_counted[touch.thread] = touch.counts_for_pressure_alone
        if not touch.counts_for_pressure_alone:
            continue
        if touch.doubles_call and last_call_counted.get(touch.thread, False):
            continue
        counted.append(touch.at)
    return counted


def pressure_earliest(
    moment: datetime,
    counted: Sequence[datetime],
    tz: str,
    policy: Policy,
    doubles_counted_call: bool = False,
) -> datetime:
    """The earliest instant at or after `moment` when one more message keeps the candidate
    under the pressure cap: at most N per local calendar day and M per rolling 7 days.

    The check looks both ways in time: a thread that is overdue must not land between
    messages that other threads already sent. A message that doubles a call which already
    counted adds nothing and is never held back by the cap.
    """
    if doubles_counted_call:
        return moment
    ordered = sorted(counted)
    for _ in range(len(ordered) * 2 + 4):
        day = calendar.local(moment, tz).date()
        same_day = sum(1 for x in ordered if calendar.local(x, tz).date() == day)
        if same_day >= policy.max_messages_per_day:
            moment = calendar.start_of_next_local_day(moment, tz)
            continue
        fix = _rolling_fix(moment, ordered, policy.max_messages_per_7_days)
        if fix is None:
            return moment
        moment = fix
    raise AssertionError("pressure cap did not settle")  # pragma: no cover


def _rolling_fix(moment: datetime, ordered: Sequence[datetime], cap: int) -> datetime | None:
    """None if no 7-day window holding `moment` would hold more than `cap` messages;
    else the instant that frees the worst such window."""
    near = [x for x in ordered if moment - WEEK < x < moment + WEEK]
    worst: datetime | None = None
    # Windows of `cap` other messages which, with `moment`, span less than 7 days.
    for i in range(len(near) - cap + 1):
        group = near[i : i + cap]
        span = max(group[-1], moment) - min(group[0], moment)
        if span < WEEK:
            fix = group[0] + WEEK
            worst = fix if worst is None or fix > worst else worst
    return worst


def written_spacing_earliest(
    moment: datetime, thread_touches: Sequence[Touch], channel: Channel, policy: Policy
) -> datetime:
    """Two written messages of a thread are at least `spacing_days` apart (hard rule 2)."""
    if not channel.written:
        return moment
    written = [
        t.at
        for t in thread_touches
        if t.kind is TouchKind.MESSAGE and t.channel is not None and t.channel.written
    ]
    if not written:
        return moment
    return max(moment, max(written) + timedelta(days=policy.spacing_days))


def away_until(touches: Iterable[Touch], policy: Policy) -> datetime | None:
    """The latest return date that the candidate's out-of-office replies gave.

    An auto-reply without a date means "away for a while": the policy's default applies.
    """
    latest: datetime | None = None
    for touch in touches:
        if touch.kind is not TouchKind.AUTO_REPLY:
            continue
        back = touch.until or touch.at + timedelta(days=policy.out_of_office_default_days)
        latest = back if latest is None or back > latest else latest
    return latest


# --- Hard rule 7: no message nearly identical to one received in the last 90 days ---

NEAR_DUPLICATE_THRESHOLD = 0.8
_WORD = re.compile(r"\w+", re.UNICODE)


def _shingles(text: str, size: int = 3) -> set[tuple[str, ...]]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    words = [w for w in _WORD.findall(folded) if not w.isdigit()]
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of word 3-shingles: 1.0 for the same text, ~0 for unrelated."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa or not sb:
        return 1.0 if sa == sb else 0.0
    return len(sa & sb) / len(sa | sb)


def near_duplicate_of(body: str, received: Iterable[str]) -> str | None:
    """The first already-received message that `body` nearly repeats, if any."""
    for previous in received:
        if similarity(body, previous) >= NEAR_DUPLICATE_THRESHOLD:
            return previous
    return None


# --- Hard rule 8: one voice ---


def other_voices(open_thread_recruiters: Iterable[int | None], recruiter: int | None) -> set[int]:
    """The other recruiters already following this candidate up."""
    return {r for r in open_thread_recruiters if r is not None and r != recruiter}
