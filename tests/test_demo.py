"""The demo organisation covers what a newcomer should see."""

from collections import Counter
from datetime import UTC, datetime

from relance import demo
from relance.followups.events import EventType

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_the_demo_history_covers_every_situation_and_the_hard_cases():
    scenario = demo.generate(NOW)
    assert len(scenario.recruiters) == 3
    assert 200 <= len(scenario.candidates) <= 400
    languages = Counter(c.language for c in scenario.candidates)
    assert languages["fr"] > 0
    assert languages["en"] > 0
    kinds = Counter(e.type for e in scenario.events)
    for kind in (
        EventType.MESSAGE_SENT,
        EventType.INVITATION_ACCEPTED,
        EventType.CALL,
        EventType.APPLICATION_RECEIVED,
        EventType.CONSENT_GIVEN,
        EventType.REPLY_RECEIVED,
        EventType.BOUNCE,
        EventType.UNSUBSCRIBED,
        EventType.AUTO_REPLY_RECEIVED,
        EventType.INTERVIEW,
        EventType.STAGE_CHANGED,
    ):
        assert kinds[kind] > 0, kind
    situations = {e.situation for e in scenario.events if e.situation}
    assert {s.value for s in situations} >= {"first_message", "cv_database"}
    assert all(scenario.start <= e.at <= NOW for e in scenario.events)


def test_the_demo_is_the_same_twice_for_the_same_moment():
    first, second = demo.generate(NOW), demo.generate(NOW)
    assert [(e.at, e.type, e.candidate) for e in first.events] == [
        (e.at, e.type, e.candidate) for e in second.events
    ]


def test_outside_office_hours_the_demo_takes_place_at_the_latest_working_afternoon():
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")

    def at(*args):
        return datetime(*args, tzinfo=paris)

    wednesday_morning = at(2026, 11, 18, 10, 0)
    assert demo.working_moment(wednesday_morning) == wednesday_morning
    assert demo.working_moment(at(2026, 11, 22, 4, 29)) == at(2026, 11, 20, 16, 0)  # Sunday
    assert demo.working_moment(at(2026, 11, 23, 7, 0)) == at(2026, 11, 20, 16, 0)  # Monday, early
    assert demo.working_moment(at(2026, 11, 17, 20, 0)) == at(2026, 11, 17, 16, 0)  # evening
    assert demo.working_moment(at(2026, 11, 11, 10, 0)) == at(2026, 11, 10, 16, 0)  # 11 November
