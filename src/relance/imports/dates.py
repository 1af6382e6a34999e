"""Dates as other tools write them: "12 Jan 2024" (LinkedIn), "12 janv. 2024", "12/01/2024"
(day first, as in France and most of Europe: a file from a US tool writing 01/12/2024 would
be read as 1 December — "12/31/2024" cannot be a day-first date and is read month-first),
ISO 8601 ("2024-01-12", "2024-01-12T09:30:00Z"), and epoch milliseconds (13 digits, what
JavaScript-based tools export) or seconds (10 digits).

A date without a time is midnight UTC that day; a time without an offset is UTC. Every
value returned is an aware UTC datetime. `read_date` raises UnreadableDate (a ValueError)
for anything else.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

MONTHS = {
    "jan": 1, "janv": 1, "janvier": 1, "january": 1,
    "feb": 2, "fev": 2, "fevr": 2, "fevrier": 2, "february": 2,
    "mar": 3, "mars": 3, "march": 3,
    "apr": 4, "avr": 4, "avril": 4, "april": 4,
    "may": 5, "mai": 5,
    "jun": 6, "juin": 6, "june": 6,
    "jul": 7, "juil": 7, "juillet": 7, "july": 7,
    "aug": 8, "aou": 8, "aout": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9,
    "oct": 10, "octobre": 10, "october": 10,
    "nov": 11, "novembre": 11, "november": 11,
    "dec": 12, "decembre": 12, "december": 12,
}  # fmt: skip
_WORDS = re.compile(r"^(\d{1,2})(?:er)?\s+([a-z]+)\.?,?\s+(\d{4})$")  # 12 Jan 2024, 1er mai 2024
_ENGLISH = re.compile(r"^([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")  # Jan 12, 2024
_NUMBERS = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\s+(\d{1,2}):(\d{2}))?$")
EARLIEST, LATEST = 1970, 2100


class UnreadableDate(ValueError):
    pass


def read_date(raw: str) -> datetime:
    try:
        return _read(raw)
    except UnreadableDate:
        raise
    except (ValueError, OverflowError, OSError):
        raise UnreadableDate(raw) from None


def _read(raw: str) -> datetime:
    text = " ".join(raw.strip().split())
    if not text:
        raise UnreadableDate(raw)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    if folded.isdigit():
        if len(folded) == 13:
            return _bounded(datetime.fromtimestamp(int(folded) / 1000, UTC))
        if len(folded) == 10:
            return _bounded(datetime.fromtimestamp(int(folded), UTC))
        raise UnreadableDate(raw)
    for pattern, order in ((_WORDS, "dmy"), (_ENGLISH, "mdy")):
        found = pattern.match(folded)
        if found:
            parts = dict(zip(order, found.groups(), strict=True))
            month = MONTHS.get(parts["m"])
            if month is None:
                raise UnreadableDate(raw)
            return _bounded(datetime(int(parts["y"]), month, int(parts["d"]), tzinfo=UTC))
    found = _NUMBERS.match(folded)
    if found:
        first, second, year, hour, minute = found.groups()
        day, month = int(first), int(second)
        if month > 12 >= day:  # 12/31/2024: only month-first makes sense
            day, month = month, day
        return _bounded(datetime(int(year), month, day, int(hour or 0), int(minute or 0),
                                 tzinfo=UTC))  # fmt: skip
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableDate(raw) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _bounded(value.astimezone(UTC))


def _bounded(value: datetime) -> datetime:
    if not EARLIEST <= value.year < LATEST:
        raise UnreadableDate(value)
    return value
