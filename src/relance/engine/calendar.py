"""Working days, public holidays and sending windows, in the candidate's time zone.

Local times are computed with zoneinfo and converted back to UTC before any arithmetic,
so that daylight-saving changes never shift a message out of its window.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

LUNCH = (time(12, 0), time(14, 0))
EVENING_START = time(18, 0)


class CalendarError(ValueError):
    pass


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(
            f"unknown time zone {name!r}; expected an IANA name such as Europe/Paris"
        ) from None


def check_country(code: str) -> str:
    """Return the country code if the holidays package knows it, else raise CalendarError."""
    if code not in _supported_countries():
        raise CalendarError(
            f"unknown country {code!r}; expected an ISO 3166-1 alpha-2 code such as FR, BE or GB"
        )
    return code


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    return frozenset(holidays_lib.list_supported_countries())


@lru_cache(maxsize=4096)
def _holidays(country: str, year: int) -> dict[date, str]:
    return dict(holidays_lib.country_holidays(check_country(country), years=year, language="en_US"))


def holiday_name(day: date, country: str) -> str | None:
    return _holidays(country, day.year).get(day)


def is_working_day(day: date, country: str) -> bool:
    return day.weekday() < 5 and holiday_name(day, country) is None


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(zone(tz))


def at_local(day: date, clock: time, tz: str) -> datetime:
    """The UTC instant of a wall-clock time on a local day.

    A wall-clock time skipped by a daylight-saving change resolves (PEP 495, fold=0) to
    the instant just after the gap; a repeated one to its first occurrence.
    """
    return datetime.combine(day, clock, tzinfo=zone(tz)).astimezone(UTC)


def start_of_next_local_day(moment: datetime, tz: str) -> datetime:
    return at_local(local(moment, tz).date() + timedelta(days=1), time(0, 0), tz)


def next_open(
    moment: datetime, tz: str, country: str, window: tuple[time, time]
) -> tuple[datetime, str | None]:
    """The first instant at or after `moment` inside the window on a working day.

    Returns it with the name of the first public holiday skipped, if one was.
    """
    start, end = window
    day = local(moment, tz).date()
    skipped_holiday: str | None = None
    for _ in range(400):
        if day.weekday() < 5:
            name = holiday_name(day, country)
            if name is None:
                opening = at_local(day, start, tz)
                closing = at_local(day, end, tz)
                if moment < opening:
                    return opening, skipped_holiday
                if moment < closing:
                    return moment, skipped_holiday
            elif skipped_holiday is None and at_local(day, end, tz) > moment:
                skipped_holiday = name
        day += timedelta(days=1)
    raise CalendarError(f"no working day found within 400 days of {moment.isoformat()}")


def is_open(moment: datetime, tz: str, country: str, window: tuple[time, time]) -> bool:
    return next_open(moment, tz, country, window)[0] == moment


def next_working_day(day: date, country: str) -> date:
    day += timedelta(days=1)
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day


def end_of_next_working_day(moment: datetime, tz: str, country: str, closing: time) -> datetime:
    """The close of business on the working day after the one `moment` falls in."""
    return at_local(next_working_day(local(moment, tz).date(), country), closing, tz)


def add_working_hours(
    moment: datetime, hours: float, tz: str, country: str, window: tuple[time, time]
) -> datetime:
    """`moment` plus `hours` counted only inside the window on working days."""
    remaining = timedelta(hours=hours)
    current, _ = next_open(moment, tz, country, window)
    for _ in range(400):
        closing = at_local(local(current, tz).date(), window[1], tz)
        if current + remaining <= closing:
            return current + remaining
        remaining -= closing - current
        current, _ = next_open(closing, tz, country, window)
    raise CalendarError("working hours could not be added")  # pragma: no cover


def other_time_of_day(previous_call: datetime, tz: str, call_window: tuple[time, time]) -> time:
    """After a missed call, the next call is at another time of day: lunch or evening.

    Lunch (12:00) unless the missed call was at lunch, then after 18:00; both clipped to
    the organisation's call window.
    """
    clock = local(previous_call, tz).time()
    start, end = call_window
    lunch_ok = start <= LUNCH[0] < end
    evening_ok = start <= EVENING_START < end
    at_lunch = LUNCH[0] <= clock < LUNCH[1]
    if at_lunch:
        return EVENING_START if evening_ok else start
    if lunch_ok:
        return LUNCH[0]
    return EVENING_START if evening_ok else start
