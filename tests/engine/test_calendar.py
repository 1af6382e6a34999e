from datetime import UTC, date, datetime, time

from relance.engine import calendar

WINDOW = (time(8), time(19))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_it_moves_an_evening_message_to_the_next_morning_in_the_candidates_zone():
    # Tuesday 3 March 2026, 19:30 in Paris (18:30 UTC) -> Wednesday 08:00 Paris.
    opening, holiday = calendar.next_open(utc(2026, 3, 3, 18, 30), "Europe/Paris", "FR", WINDOW)
    assert opening == utc(2026, 3, 4, 7, 0)
    assert holiday is None


def test_it_skips_the_weekend():
    # Saturday 7 March 10:00 Paris -> Monday 9 March 08:00 Paris.
    opening, _ = calendar.next_open(utc(2026, 3, 7, 9, 0), "Europe/Paris", "FR", WINDOW)
    assert opening == utc(2026, 3, 9, 7, 0)


def test_it_skips_the_public_holidays_of_the_candidates_country():
    # 14 July 2026 is a Tuesday and a holiday in France, not in the United Kingdom.
    morning = utc(2026, 7, 14, 8, 0)
    opening, holiday = calendar.next_open(morning, "Europe/Paris", "FR", WINDOW)
    assert opening == utc(2026, 7, 15, 6, 0)
    assert holiday is not None
    opening, holiday = calendar.next_open(morning, "Europe/London", "GB", WINDOW)
    assert opening == morning
    assert holiday is None


def test_it_keeps_eight_in_the_morning_across_daylight_saving_changes():
    # Paris moves to summer time on Sunday 29 March 2026: Monday 08:00 is 06:00 UTC.
    opening, _ = calendar.next_open(utc(2026, 3, 27, 19, 0), "Europe/Paris", "FR", WINDOW)
    assert opening == utc(2026, 3, 30, 6, 0)
    # New York moved on 8 March: Monday 9 March 08:00 EDT is 12:00 UTC.
    opening, _ = calendar.next_open(utc(2026, 3, 7, 12, 0), "America/New_York", "US", WINDOW)
    assert opening == utc(2026, 3, 9, 12, 0)


def test_a_time_skipped_by_daylight_saving_resolves_after_the_gap():
    moment = calendar.at_local(date(2026, 3, 29), time(2, 30), "Europe/Paris")
    assert calendar.local(moment, "Europe/Paris").hour == 3


def test_working_hours_carry_over_to_the_next_working_day():
    # Friday 17:00 Paris + 4 working hours of 09:00-19:00 -> Monday 11:00 Paris.
    start = utc(2026, 3, 6, 16, 0)
    end = calendar.add_working_hours(start, 4, "Europe/Paris", "FR", (time(9), time(19)))
    assert end == utc(2026, 3, 9, 10, 0)


def test_the_next_working_day_jumps_holidays_and_weekends():
    # Friday 1 May 2026 (Labour Day) -> next working day after Thursday 30 April is Monday 4 May.
    assert calendar.next_working_day(date(2026, 4, 30), "FR") == date(2026, 5, 4)


def test_a_missed_call_is_followed_by_one_at_another_time_of_day():
    window = (time(9), time(19))
    morning = utc(2026, 3, 3, 9, 0)  # 10:00 Paris
    lunch = utc(2026, 3, 3, 11, 30)  # 12:30 Paris
    assert calendar.other_time_of_day(morning, "Europe/Paris", window) == time(12)
    assert calendar.other_time_of_day(lunch, "Europe/Paris", window) == time(18)
    narrow = (time(9), time(17))
    assert calendar.other_time_of_day(lunch, "Europe/Paris", narrow) == time(9)
