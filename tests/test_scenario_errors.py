"""Bad scenarios get a clear message: the file, the line, the field, what was expected."""

import pytest

from relance.scenario import ScenarioError, parse

GOOD_HEAD = """\
start: 2026-03-02T08:00:00+01:00
until: 2026-04-15T00:00:00+02:00
recruiters:
  - {id: r1, name: Claire Dubois, email: claire@agence.example}
candidates:
  - {id: c1, name: Léa Martin, email: lea@example.org}
"""


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse(text, "plan.yaml")
    return str(caught.value)


def test_a_good_scenario_parses():
    scenario = parse(
        GOOD_HEAD
        + "events:\n  - {at: 2026-03-02T09:15:00+01:00, type: message_sent, candidate: c1, channel: email}\n",
        "plan.yaml",
    )
    assert scenario.events[0].recruiter == "r1"  # the only recruiter
    assert scenario.candidates[0].last_name == "Martin"


@pytest.mark.parametrize(
    ("events", "where", "words"),
    [
        (
            "  - {at: 2026-03-02, type: message_sent, candidate: c1, channel: email}",
            "plan.yaml:8: events[0].at",
            "without a time",
        ),
        (
            "  - {at: '2026-03-02T09:15:00', type: message_sent, candidate: c1, channel: email}",
            "plan.yaml:8: events[0].at",
            "has no offset",
        ),
        (
            "  - {at: 2026-03-02T09:15:00+01:00, type: mesage_sent, candidate: c1, channel: email}",
            "plan.yaml:8: events[0].type",
            "did you mean 'message_sent'",
        ),
        (
            "  - {at: 2026-03-02T09:15:00+01:00, type: message_sent, candidate: c9, channel: email}",
            "plan.yaml:8: events[0].candidate",
            "no candidate has the id 'c9'",
        ),
        (
            "  - {at: 2026-03-02T09:15:00+01:00, type: message_sent, candidate: c1, channel: phone}",
            "plan.yaml:8: events[0].channel",
            "expected one of email, sms, linkedin",
        ),
        (
            "  - {at: 2026-03-02T09:15:00+01:00, type: message_sent, candidate: c1}",
            "plan.yaml:8: events[0].channel",
            "required",
        ),
        (
            "  - {at: 2026-03-02T09:15:00+01:00, type: call, candidate: c1, outcome: busy}",
            "plan.yaml:8: events[0].outcome",
            "answered, voicemail, no_answer",
        ),
        (
            "  - {at: 2026-03-02T09:15:00+01:00, type: stage_changed, candidate: c1, stage: interview}",
            "plan.yaml:8: events[0].job",
            "required",
        ),
        (
            "  - {at: 2026-03-02T09:15:00+01:00, type: reply_received, candidate: c1, chanel: sms}",
            "plan.yaml:8: events[0].chanel",
            "did you mean 'channel'",
        ),
        (
            "  - {at: 2027-03-02T09:15:00+01:00, type: note, candidate: c1}",
            "plan.yaml:8: events[0].at",
            "outside the scenario",
        ),
        (
            "  - {at: 2026-03-02T09:15:00+01:00, type: message_sent, candidate: c1, channel: email, situation: rejection}",
            "plan.yaml:8: events[0].situation",
            "expected one of",
        ),
    ],
)
def test_a_bad_event_is_reported_with_its_line_and_field(events, where, words):
    message = error_of(GOOD_HEAD + "events:\n" + events + "\n")
    assert message.startswith(where), message
    assert words in message


def test_a_policy_beyond_a_hard_cap_is_refused_not_clipped():
    message = error_of("policy: {max_followups: 5}\n" + GOOD_HEAD)
    assert message.startswith("plan.yaml:1: policy.max_followups")
    assert "4th follow-up is never sent" in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the scenario is empty"),
        ("start: [unclosed\n", "syntax"),
        ("- just\n- a list\n", "expected a mapping"),
        (GOOD_HEAD + "candidates: []\n", "appears twice"),
        (
            GOOD_HEAD.replace("c1, name", "c1, timezone: Mars/Olympus, name"),
            "unknown time zone 'Mars/Olympus'",
        ),
        (GOOD_HEAD.replace("c1, name", "c1, country: XX, name"), "unknown country 'XX'"),
        (GOOD_HEAD.replace("c1, name", "c1, stars: 5, name"), "from 0 to 3"),
        (GOOD_HEAD + "  - {id: c1, name: Twice}\n", "'c1' is already used"),
        (
            GOOD_HEAD.replace(
                "until: 2026-04-15T00:00:00+02:00", "until: 2026-01-01T00:00:00+01:00"
            ),
            "must be after start",
        ),
        (GOOD_HEAD + "speed: fast\n", "unknown field"),
    ],
)
def test_a_bad_file_gets_a_clear_message(text, words):
    assert words in error_of(text)


def test_an_event_that_cannot_happen_in_its_story_names_its_line(db):
    from relance import simulate

    scenario = parse(
        GOOD_HEAD
        + "events:\n  - {at: 2026-03-02T09:15:00+01:00, type: message_sent, candidate: c1, channel: sms, situation: cv_database}\n",
        "plan.yaml",
    )
    with pytest.raises(ScenarioError) as caught:
        simulate.run(scenario)
    assert str(caught.value).startswith("plan.yaml:8: events[0]: ")
    assert "no open cv_database thread" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (  # YAML reads it as a date-time, and the date does not exist: no traceback
            "events:\n  - {at: 2026-02-30T09:15:00+01:00, type: message_sent, candidate: c1, channel: email}",
            "plan.yaml:6: events[0].at",
            "2026-02-30 does not exist (that month has 28 days), in '2026-02-30T09:15:00+01:00'",
        ),
        (  # 2026 is not a leap year
            "events:\n  - {at: '2026-02-29T09:15:00+01:00', type: message_sent, candidate: c1, channel: email}",
            "plan.yaml:6: events[0].at",
            "2026-02-29 does not exist (that month has 28 days)",
        ),
        (
            "events:\n  - {at: 2026-03-02T25:15:00+01:00, type: message_sent, candidate: c1, channel: email}",
            "plan.yaml:6: events[0].at",
            "25:15 is not a time of day (00:00 to 23:59)",
        ),
        (  # a year 9999 overflowed as soon as a day was added to it
            "events:\n  - {at: 9999-12-31T23:15:00+01:00, type: message_sent, candidate: c1, channel: email}",
            "plan.yaml:6: events[0].at",
            "expected a date from 2000 to 2099, got 9999-12-31T23:15:00+01:00",
        ),
        (
            "events:\n  - {at: 2026-03-02T09:15:00+01:00, type: auto_reply_received, candidate: c1, until: 9999-12-31}",
            "plan.yaml:6: events[0].until",
            "expected a date from 2000 to 2099, got 9999-12-31",
        ),
        (
            "events:\n  - {at: 2026-03-02T09:15:00+01:00, type: auto_reply_received, candidate: c1, until: 2026-04-31}",
            "plan.yaml:6: events[0].until",
            "2026-04-31 does not exist (that month has 30 days)",
        ),
    ],
)
def test_a_date_that_does_not_exist_is_named_with_its_line(text, where, words):
    head = GOOD_HEAD.replace("until: 2026-04-15T00:00:00+02:00\n", "")
    message = error_of(head.replace("start: 2026-03-02T08:00:00+01:00\n", "") + text + "\n")
    assert message.startswith(where + ": ")
    assert words in message


def test_a_scenario_start_in_a_year_relance_does_not_work_in_is_refused():
    message = error_of(
        GOOD_HEAD.replace("until: 2026-04-15T00:00:00+02:00", "until: 9999-12-31T00:00:00+01:00")
    )
    assert (
        message
        == "plan.yaml:2: scenario.until: expected a date from 2000 to 2099, got 9999-12-31T00:00:00+01:00"
    )


def test_a_directory_is_not_a_scenario(tmp_path):
    from relance.scenario import load

    with pytest.raises(ScenarioError, match="is a directory; expected a file"):
        load(tmp_path)


def test_send_is_only_for_the_first_e_mail_of_an_approach():
    from relance.errors import ScenarioError
    from relance.scenario import parse

    text = """\
recruiters: [{id: r, email: r@x.example}]
candidates: [{id: c, name: Léa Martin, email: lea@example.org}]
events:
  - {at: 2026-03-02T09:00:00+01:00, type: message_sent, candidate: c, channel: linkedin, situation: first_message, send: true}
"""
    with pytest.raises(ScenarioError, match=r"events\[0\]\.send.*channel: email"):
        parse(text, "s.yaml")
    with pytest.raises(ScenarioError, match="expected true or false"):
        parse(
            text.replace("channel: linkedin", "channel: email").replace(
                "send: true", "send: yes please"
            ),
            "s.yaml",
        )
    parse(text.replace("channel: linkedin", "channel: email"), "s.yaml")
