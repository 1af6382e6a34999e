"""The clock, read once per operation, and the instants people type.

A process can start its clock at a chosen instant that then runs on in real time (the
demo at night takes place on the latest working afternoon; `relance worker --now`; the
browser tests). RELANCE_CLOCK_START does it for the web app from the environment.

Every instant typed by someone (`--now`, a scenario's dates, RELANCE_CLOCK_START) is read
by `read_instant`, which says what is wrong in words: a day that does not exist, an hour
25, a missing offset, a year Relance does not work in.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, date, datetime

from relance.errors import InputError

_offset: float | None = None

# Relance works with instants in these years. A wider range only lets typos through (a
# year 9999 overflows the moment a day is added to it), and nothing Relance does looks
# further than a few years ahead or back.
FIRST_YEAR, LAST_YEAR = 2000, 2099

PROBLEMS = {
    "fr": {
        "format": "attendu une date et heure ISO 8601 avec son décalage, "
        "comme 2026-03-02T09:00:00+01:00",
        "offset": "ajoutez le décalage UTC, comme {raw}+01:00",
        "range": "attendu une date entre {first} et {last}",
        "day": "le {day} n'existe pas (ce mois-là a {days} jours)",
        "month": "{month} n'est pas un mois (01 à 12)",
        "time": "{clock} n'est pas une heure du jour (00:00 à 23:59)",
    },
    "en": {
        "format": "expected an ISO 8601 date-time with an offset, like 2026-03-02T09:00:00+01:00",
        "offset": "add a UTC offset, like {raw}+01:00",
        "range": "expected a date from {first} to {last}",
        "day": "{day} does not exist (that month has {days} days)",
        "month": "{month} is not a month (01 to 12)",
        "time": "{clock} is not a time of day (00:00 to 23:59)",
    },
}


class InstantError(InputError):
    """An instant that cannot be read: `problem` names what is wrong, `params` the details;
    `describe` says it in French or English."""

    def __init__(self, raw: str, problem: str, **params: object) -> None:
        self.raw, self.problem, self.params = raw, problem, params
        super().__init__(f"{raw!r}: {self.describe('en')}")

    def describe(self, lang: str) -> str:
        params = {"raw": self.raw, "first": FIRST_YEAR, "last": LAST_YEAR, **self.params}
        return PROBLEMS[lang][self.problem].format(**params)


_PARTS = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")


def check_parts(raw: str) -> None:
    """Raise an InstantError naming the part that does not exist (a 30 February, an hour
    25), if the text looks like a date whose numbers are out of range."""
    found = _PARTS.match(raw)
    if not found:
        return
    year, month, day = (int(found.group(i)) for i in (1, 2, 3))
    if not 1 <= month <= 12:
        raise InstantError(raw, "month", month=found.group(2))
    if year >= 1:
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            raise InstantError(raw, "day", day=found.group(0)[:10].strip(), days=days)
    if found.group(4) is not None:
        hour, minute = int(found.group(4)), int(found.group(5))
        second = int(found.group(6) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise InstantError(raw, "time", clock=f"{found.group(4)}:{found.group(5)}")


def check_year(raw: str, moment: datetime | date) -> None:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InstantError(raw, "range")


def read_instant(raw: str) -> datetime:
    """An ISO 8601 instant with its offset, in UTC; an InstantError says what is wrong."""
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        check_parts(text)
        raise InstantError(raw, "format") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InstantError(raw, "offset")
    check_year(raw, moment)
    return moment.astimezone(UTC)


def parse_instant(raw: str, where: str) -> datetime:
    """`read_instant`, with `where` (an option, a setting) named in the message."""
    try:
        return read_instant(raw)
    except InstantError as error:
        raise InputError(f"{where} {raw!r}: {error.describe('en')}") from None


def start_at(start: datetime | None) -> None:
    """Make `now()` start at `start` from this moment on (None: real time again)."""
    global _offset
    _offset = None if start is None else start.timestamp() - time.time()


def now() -> datetime:
    if _offset is None:
        return datetime.now(tz=UTC)
    return datetime.fromtimestamp(time.time() + _offset, tz=UTC)
