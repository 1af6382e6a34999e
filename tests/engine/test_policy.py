from datetime import time

import pytest

from relance.engine import Policy, PolicyError


def test_it_has_defaults_within_every_hard_cap():
    policy = Policy()
    assert policy.max_followups == 2
    assert policy.sending_window == (time(8), time(19))
    assert policy.max_messages_per_7_days == 2


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"max_followups": 4}, "policy.max_followups", "4th follow-up is never sent"),
        ({"max_followups": -1}, "policy.max_followups", "below"),
        ({"spacing_days": 1}, "policy.spacing_days", "at least 2 days"),
        ({"max_messages_per_day": 2}, "policy.max_messages_per_day", "at most 1 message"),
        ({"max_messages_per_7_days": 3}, "policy.max_messages_per_7_days", "per 7 days"),
        ({"sending_window": "07:00-19:00"}, "policy.sending_window", "beyond the hard limits"),
        ({"sending_window": "08:00-20:00"}, "policy.sending_window", "beyond the hard limits"),
        ({"call_window": "08:30-18:00"}, "policy.call_window", "09:00-19:00"),
        ({"sending_window": "12:00-10:00"}, "policy.sending_window", "start before it ends"),
        ({"sending_window": "8h-19h"}, "policy.sending_window", "expected a window"),
        ({"rejection_not_before_days": 1}, "policy.rejection_not_before_days", "day 3"),
        ({"answer_deadline_days": 21}, "policy.answer_deadline_days", "within 14 days"),
        ({"near_duplicate_days": 30}, "policy.near_duplicate_days", "at least 90 days"),
        ({"followup_delays_days": [1, 5]}, "policy.followup_delays_days", "less than the spacing"),
        ({"followup_delays_days": [2, 2, 2, 2]}, "policy.followup_delays_days", "1 to 3"),
        ({"max_followups": "3"}, "policy.max_followups", "whole number"),
        ({"max_followups": True}, "policy.max_followups", "whole number"),
    ],
)
def test_it_refuses_a_value_beyond_a_hard_cap_with_a_clear_message(overrides, field, words):
    with pytest.raises(PolicyError) as caught:
        Policy.from_mapping(overrides)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_it_suggests_the_setting_meant():
    with pytest.raises(PolicyError, match="did you mean 'max_followups'"):
        Policy.from_mapping({"max_followup": 2})


def test_it_accepts_a_narrower_window_and_three_followups():
    policy = Policy.from_mapping({"max_followups": 3, "sending_window": "09:30-17:00"})
    assert policy.max_followups == 3
    assert policy.sending_window == (time(9, 30), time(17))


def test_it_round_trips_through_its_mapping():
    policy = Policy.from_mapping({"max_followups": 3, "followup_delays_days": [3, 6, 9]})
    assert Policy.from_mapping(policy.to_mapping()) == policy
