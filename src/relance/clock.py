"""The clock, read once per operation.

A process can start its clock at a chosen instant that then runs on in real time (the
demo at night takes place on the latest working afternoon; `relance worker --now`; the
browser tests). RELANCE_CLOCK_START does it for the web app from the environment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from relance.errors import InputError

_offset: float | None = None


def running_from(start: datetime) -> Callable[[], datetime]:
    """A clock that reads `start` now and runs on from there."""
    offset = start.timestamp() - time.time()

    def read() -> datetime:
        return datetime.fromtimestamp(time.time() + offset, tz=UTC)

    return read


def start_at(start: datetime | None) -> None:
    """Make `now()` start at `start` from this moment on (None: real time again)."""
    global _offset
    _offset = None if start is None else start.timestamp() - time.time()


def parse_start(raw: str, where: str) -> datetime:
    try:
        start = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f"{where}={raw!r}: expected an ISO 8601 instant with its offset, "
            "e.g. 2026-03-02T09:00:00+01:00"
        ) from None
    if start.tzinfo is None:
        raise InputError(f"{where}={raw!r}: give the offset, e.g. +01:00 or Z")
    return start


def now() -> datetime:
    if _offset is None:
        return datetime.now(tz=UTC)
    return datetime.fromtimestamp(time.time() + _offset, tz=UTC)
