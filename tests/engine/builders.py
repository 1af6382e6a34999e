"""Small builders for engine tests: touches, threads, candidates."""

from __future__ import annotations

from datetime import datetime
from itertools import count

from relance.engine import (
    CandidateView,
    Channel,
    Direction,
    Situation,
    ThreadView,
    Touch,
    TouchKind,
)

_seq = count(1)


def candidate(**changes: object) -> CandidateView:
    fields: dict[str, object] = {
        "timezone": "Europe/Paris",
        "country": "FR",
        "stars": 2,
        "has_email": True,
        "has_phone": True,
        "has_linkedin": True,
    }
    fields.update(changes)
    return CandidateView(**fields)  # type: ignore[arg-type]


def out(
    at: datetime, channel: Channel = Channel.EMAIL, thread: int | None = None, **more: object
) -> Touch:
    kind = TouchKind.CALL if channel is Channel.PHONE else TouchKind.MESSAGE
    return Touch(
        seq=next(_seq),
        at=at,
        kind=kind,
        direction=Direction.OUT,
        channel=channel,
        thread=thread,
        **more,  # type: ignore[arg-type]
    )


def inbound(
    at: datetime,
    kind: TouchKind = TouchKind.MESSAGE,
    channel: Channel = Channel.EMAIL,
    **more: object,
) -> Touch:
    return Touch(seq=next(_seq), at=at, kind=kind, direction=Direction.IN, channel=channel, **more)  # type: ignore[arg-type]


def event(at: datetime, kind: TouchKind, **more: object) -> Touch:
    return Touch(seq=next(_seq), at=at, kind=kind, **more)  # type: ignore[arg-type]


def thread(situation: Situation, start: Touch, thread_id: int = 1, **more: object) -> ThreadView:
    return ThreadView(
        id=thread_id,
        situation=situation,
        started_at=start.at,
        start_seq=start.seq,
        recruiter=1,
        **more,  # type: ignore[arg-type]
    )
