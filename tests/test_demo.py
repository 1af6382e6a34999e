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
