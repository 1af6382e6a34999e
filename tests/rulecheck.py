"""An independent reading of the hard rules, to check what the system did.

Written apart from the engine on purpose: the property tests compare what the services
actually did (the touchpoints they recorded) against this, not against the engine's own
helpers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

WEEK = timedelta(days=7)
CHASING = {"linkedin_invitation", "first_message", "cv_database", "application", "keep_in_touch"}


@dataclass
class T:
    """A touchpoint row, as recorded."""

    seq: int
    at: datetime
    kind: str
    direction: str
    channel: str
    outcome: str
    thread: int | None
    step: int | None
    doubles_call: bool
    reason: str
    until: datetime | None
    body: str = ""
    sent_by_us: bool = False  # left from Relance's outbox (it has our Message-ID)


def _jaccard(a: str, b: str) -> float:
    """Similarity of two texts' word 3-shingles (read apart from the engine's own)."""

    def shingles(text: str) -> set[tuple[str, ...]]:
        words = [w for w in re.findall(r"\w+", unicodedata.normalize("NFKD", text.casefold()))
                 if not w.isdigit()]  # fmt: skip
        return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}

    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def counts(t: T, touches: list[T]) -> bool:
    """Hard rule 3's counting, read from DOMAIN.md."""
    if t.direction != "out":
        return False
    if t.kind == "message" and t.channel in ("email", "sms", "linkedin"):
        if t.doubles_call:
            call = [
                c for c in touches if c.thread == t.thread and c.kind == "call" and c.seq < t.seq
            ]
            if call and call[-1].outcome in ("answered", "voicemail"):
                return False  # the same contact as the call, which already counted
        return True
    return t.kind == "call" and t.outcome in ("answered", "voicemail")


def violations(
    touches: list[T],
    *,
    tz: str,
    country: str,
    policy: object,
    threads: dict[int, dict],
    refusals: dict[str, datetime | None],
    consents: list[tuple[datetime, str]],
) -> list[str]:
    """Every hard rule that a system action (a send, or a task done when due) broke."""
    found = []
    zone = ZoneInfo(tz)
    days_off = holidays.country_holidays(country, years=range(2025, 2029))
    touches = sorted(touches, key=lambda t: t.seq)
    system = [t for t in touches if t.reason and t.thread is not None]
    for x in system:
        thread = threads[x.thread]
        before = [t for t in touches if t.seq < x.seq]
        local = x.at.astimezone(zone)
        # 6. Sending window and working days.
        start, end = policy.call_window if x.channel == "phone" else policy.sending_window
        if not (start <= local.time() < end) or local.weekday() >= 5 or local.date() in days_off:
            found.append(f"window: {x.channel} at {local.isoformat()} ({thread['situation']})")
        # 1. Follow-ups: never more than the policy, never more than 3.
        if x.step is not None and x.step > min(policy.max_followups, 3):
            found.append(f"follow-up {x.step} beyond max {policy.max_followups}")
        # 2. Spacing of written messages within the thread.
        if x.channel in ("email", "sms", "linkedin"):
            written = [
                t
                for t in before
                if t.thread == x.thread and t.kind == "message" and t.channel != "phone"
            ]
            if written and x.at - written[-1].at < timedelta(days=policy.spacing_days):
                found.append(f"spacing: {x.at} after {written[-1].at}")
        # 3. Pressure cap, counting everything that existed when the system acted.
        if counts(x, touches):
            counted = [t.at for t in before if counts(t, touches)]
            same_day = [c for c in counted if c.astimezone(zone).date() == local.date()]
            if len(same_day) + 1 > policy.max_messages_per_day:
                found.append(f"pressure (day): {x.at} with {same_day}")
            # Any span of less than 7 days that holds this message holds at most the cap.
            points = sorted([*counted, x.at])
            for p in points:
                if x.at - WEEK < p <= x.at:
                    inside = [q for q in points if p <= q < p + WEEK]
                    if len(inside) > policy.max_messages_per_7_days:
                        found.append(f"pressure (week): {x.at} with {inside}")
                        break
        # 4. Stop on answer (follow-up situations only), 5. stop on refusal.
        if thread["situation"] in CHASING and not (
            thread["situation"] == "keep_in_touch" and not thread["trigger"]
        ):
            answers = [
                t
                for t in before
                if t.seq > thread["start"]
                and (
                    (t.direction == "in" and t.kind in ("message", "call", "application"))
                    or (t.kind == "call" and t.outcome == "answered")
                    or t.kind == "stage_change"
                )
            ]
            if answers:
                found.append(
                    f"after an answer: {x.at} ({thread['situation']}) after {answers[0].kind} at {answers[0].at}"
                )
        for what, when in refusals.items():
            if when is not None and when <= x.at:
                found.append(f"after {what}: {x.at}")
        # Out-of-office delays follow-ups until the return date.
        if thread["situation"] in CHASING:
            away = [t for t in before if t.kind == "auto_reply"]
            for t in away:
                back = t.until or t.at + timedelta(days=policy.out_of_office_default_days)
                if x.at < back:
                    found.append(f"during an out-of-office: {x.at} < {back}")
        # 7. No repeat: an e-mail Relance sent itself is not nearly the same as a message
        # the person received in the 90 days before (word 3-shingles, Jaccard >= 0.8).
        if x.sent_by_us and x.body:
            earlier = [
                t
                for t in before
                if t.direction == "out"
                and t.kind == "message"
                and t.body
                and x.at - t.at <= timedelta(days=policy.near_duplicate_days)
            ]
            for t in earlier:
                if _jaccard(x.body, t.body) >= 0.8:
                    found.append(f"near-duplicate: {x.at} repeats {t.at}")
                    break
        # 9. Consent for keep-in-touch.
        if thread["situation"] == "keep_in_touch":
            state = False
            for at, change in sorted(consents):
                if at <= x.at:
                    state = change == "given"
            if not state:
                found.append(f"keep in touch without consent at {x.at}")
    return found
