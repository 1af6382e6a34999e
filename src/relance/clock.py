"""The clock, read once per operation.

A process can start its clock at a chosen instant that then runs on in real time (the
demo at night takes place on the latest working afternoon; `relance worker --now`; the
browser tests). RELANCE_CLOCK_START does it for the web app from the environment.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from relance.errors import InputError

_offset: float | None = None


def start_at(start: datetime | None) -> None:
    """Make `now()` start at `start` from this moment on (None: real time again)."""
    global _offset
    _offset = None if start is None else start.timestamp() - time.time()


def parse_instant(raw: str, where: str) -> datetime:
    """An ISO 8601 instant with its offset, in UTC; `where` names it in the message."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{where} {raw!r}: expected an ISO 8601 date-time with an offset, "
            "like 2026-03-02T09:00:00+01:00"
        ) from None
    if moment.tzinfo is None:
        raise InputError(f"{where} {raw!r}: add a UTC offset, like {raw}+01:00")
    return moment.astimezone(UTC)


def now() -> datetime:
    if _offset is None:
        return datetime.now(tz=UTC)
    return datetime.fromtimestamp(time.time() + _offset, tz=UTC)
