from datetime import timedelta

import pytest

from relance.engine import (
    CallOutcome,
    Channel,
    DecisionKind,
    Mode,
    Policy,
    Purpose,
    Situation,
    Stage,
    TouchKind,
    acknowledgement,
    decide,
    plan_next,
    priority_key,
)
from tests.conftest import paris
from tests.engine.builders import candidate, event, inbound, out, thread

POLICY = Policy()


def first_message(at, channel=Channel.LINKEDIN):
    start = out(at, channel, thread=1)
    return thread(Situation.FIRST_MESSAGE, start), [start]


def test_a_first_message_is_followed_up_after_48_hours_then_5_days_later():
    t, touches = first_message(paris(2026, 3, 2, 9, 15))
    first = plan_next(t, candidate(), touches, POLICY)
    assert (first.kind, first.step, first.channel, first.reason) == (
        DecisionKind.TASK,
        1,
        Channel.LINKEDIN,
        "followup",
    )
    assert first.at == paris(2026, 3, 4, 9, 15)
    touches.append(out(first.at, Channel.LINKEDIN, thread=1))
    second = plan_next(t, candidate(), touches, POLICY)
    assert (second.step, second.at) == (2, paris(2026, 3, 9, 9, 15))
    touches.append(out(second.at, Channel.LINKEDIN, thread=1))
    done = plan_next(t, candidate(), touches, POLICY)
    assert (done.kind, done.reason) == (DecisionKind.STOP, "plan_done")


def test_a_third_followup_comes_only_when_the_organisation_enables_it():
    policy = Policy(max_followups=3)
    t, touches = first_message(paris(2026, 3, 2, 9, 15), Channel.EMAIL)
    steps = []
    for _ in range(4):
        decision = plan_next(t, candidate(), touches, policy)
        if decision.kind is DecisionKind.STOP:
            break
        steps.append((decision.step, decision.at, decision.kind))
        touches.append(out(decision.at, Channel.EMAIL, thread=1))
    assert [s[0] for s in steps] == [1, 2, 3]
    assert steps[2][1] == steps[1][1] + timedelta(days=7)
    assert all(kind is DecisionKind.SEND for *_, kind in steps)


def test_decide_waits_until_the_due_time_and_then_says_what_to_do():
    t, touches = first_message(paris(2026, 3, 2, 9, 15))
    early = decide(t, candidate(), touches, POLICY, now=paris(2026, 3, 3, 12))
    assert (early.kind, early.action) == (DecisionKind.WAIT, Mode.TASK)
    due = decide(t, candidate(), touches, POLICY, now=paris(2026, 3, 4, 10))
    assert due.kind is DecisionKind.TASK
    assert "lundi 2 mars" in due.sentence("fr")
    assert "Monday 2 March" in due.sentence("en")


def test_any_answer_stops_the_thread_at_once():
    t, touches = first_message(paris(2026, 3, 2, 9, 15))
    touches.append(inbound(paris(2026, 3, 3, 18, 2), channel=Channel.SMS))
    decision = plan_next(t, candidate(), touches, POLICY)
    assert (decision.kind, decision.reason, decision.at) == (
        DecisionKind.STOP,
        "replied",
        paris(2026, 3, 3, 18, 2),
    )


def test_an_answered_call_stops_it_and_an_old_answer_does_not():
    old_reply = inbound(paris(2026, 2, 20, 10))
    t, touches = first_message(paris(2026, 3, 2, 9, 15))
    touches.insert(0, old_reply)
    assert plan_next(t, candidate(), touches, POLICY).kind is DecisionKind.TASK
    touches.append(out(paris(2026, 3, 3, 11), Channel.PHONE, outcome=CallOutcome.ANSWERED))
    assert plan_next(t, candidate(), touches, POLICY).reason == "call_answered"


def test_an_out_of_office_delays_but_does_not_stop():
    t, touches = first_message(paris(2026, 3, 2, 9, 15), Channel.EMAIL)
    back = paris(2026, 3, 12, 0, 0)
    touches.append(inbound(paris(2026, 3, 2, 9, 16), TouchKind.AUTO_REPLY, until=back))
    decision = plan_next(t, candidate(), touches, POLICY)
    assert decision.kind is DecisionKind.SEND
    assert decision.delay == "out_of_office"
    assert decision.at == paris(2026, 3, 12, 8, 0)


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("unsubscribed_at", "unsubscribed"),
        ("do_not_contact_at", "do_not_contact"),
        ("email_bounced_at", "bounced"),
    ],
)
def test_a_refusal_ends_every_thread(field, reason):
    t, touches = first_message(paris(2026, 3, 2, 9, 15))
    refused = candidate(**{field: paris(2026, 3, 3, 8)})
    decision = plan_next(t, refused, touches, POLICY)
    assert (decision.kind, decision.reason, decision.at) == (
        DecisionKind.STOP,
        reason,
        paris(2026, 3, 3, 8),
    )


@pytest.mark.parametrize(
    ("stage", "reason"), [(Stage.HIRED, "stage_end"), (Stage.SCREENING, "stage_changed")]
)
def test_a_stage_change_ends_follow_ups(stage, reason):
    t, touches = first_message(paris(2026, 3, 2, 9, 15))
    touches.append(event(paris(2026, 3, 3, 8), TouchKind.STAGE_CHANGE, outcome=stage.value))
    assert plan_next(t, candidate(), touches, POLICY).reason == reason


def test_the_pressure_cap_holds_a_followup_with_its_reason():
    t, touches = first_message(paris(2026, 3, 2, 9, 15), Channel.EMAIL)
    # Another recruiter wrote to the same person on 3 March: a follow-up on 4 March would
    # be the third message in seven days, so it waits until the approach of 2 March is a
    # week old.
    touches.append(out(paris(2026, 3, 3, 10), Channel.LINKEDIN))
    decision = plan_next(t, candidate(), touches, POLICY)
    assert decision.delay == "pressure_cap"
    assert decision.params["period"] == "week"
    assert decision.at == paris(2026, 3, 9, 9, 15)
    assert "2 message(s)" in decision.sentence("en", waiting=True)
    assert "Follow-up 1" in decision.sentence("en", waiting=False)


def test_a_followup_due_on_a_holiday_waits_for_the_next_working_day_and_says_why():
    # Approach on Sunday 12 July 2026; +2 days is Tuesday 14 July, a holiday in France:
    # the follow-up leaves on Wednesday 15 (the date stays the same in summer time).
    t, touches = first_message(paris(2026, 7, 12, 9, 0), Channel.EMAIL)
    decision = plan_next(t, candidate(), touches, POLICY)
    assert decision.delay == "holiday"
    assert decision.at.date().isoformat() == "2026-07-15"


def test_a_linkedin_invitation_accepted_gets_a_message_the_same_or_next_working_day():
    accepted = inbound(
        paris(2026, 3, 6, 20, 0), TouchKind.INVITATION_ACCEPTED, channel=Channel.LINKEDIN
    )
    t = thread(Situation.LINKEDIN_INVITATION, accepted)
    decision = plan_next(t, candidate(), [accepted], POLICY)
    assert (decision.kind, decision.channel, decision.step) == (
        DecisionKind.TASK,
        Channel.LINKEDIN,
        0,
    )
    assert decision.at == paris(2026, 3, 9, 8, 0)  # Friday evening -> Monday morning
    assert decision.deadline_at == paris(2026, 3, 9, 19, 0)


def test_a_missed_cv_database_call_is_doubled_at_once_then_called_at_another_time():
    call = out(paris(2026, 3, 3, 10, 0), Channel.PHONE, thread=1, outcome=CallOutcome.VOICEMAIL)
    t = thread(Situation.CV_DATABASE, call)
    doubling = plan_next(t, candidate(), [call], POLICY)
    assert (doubling.channel, doubling.step, doubling.at, doubling.reason) == (
        Channel.SMS,
        0,
        call.at,
        "doubles_call",
    )
    sms = out(doubling.at, Channel.SMS, thread=1, doubles_call=True)
    callback = plan_next(t, candidate(), [call, sms], POLICY)
    assert (callback.channel, callback.step, callback.reason) == (Channel.PHONE, 1, "call_back")
    assert callback.at == paris(2026, 3, 4, 12, 0)  # next working day, at lunch


def test_an_application_gets_a_receipt_at_once_and_a_call_within_four_working_hours():
    applied = inbound(paris(2026, 3, 6, 22, 0), TouchKind.APPLICATION)
    ack = acknowledgement(candidate(), applied.at)
    assert ack is not None
    assert ack.at == applied.at  # at once, even at night
    t = thread(Situation.APPLICATION, applied)
    call = plan_next(t, candidate(), [applied], POLICY)
    assert (call.channel, call.at) == (Channel.PHONE, paris(2026, 3, 9, 9, 0))
    assert call.deadline_at == paris(2026, 3, 9, 13, 0)
    missed = out(paris(2026, 3, 9, 9, 30), Channel.PHONE, thread=1, outcome=CallOutcome.NO_ANSWER)
    followup = plan_next(t, candidate(), [applied, missed], POLICY)
    assert (followup.step, followup.channel) == (1, Channel.EMAIL)
    assert followup.at - missed.at <= timedelta(days=2)


def test_no_receipt_to_an_address_that_bounces():
    assert acknowledgement(candidate(email_bounced_at=paris(2026, 1, 1)), paris(2026, 3, 6)) is None


def test_keep_in_touch_needs_consent_and_comes_after_a_long_silence():
    consent = event(paris(2026, 3, 2, 10), TouchKind.CONSENT_GIVEN, outcome="talent_pool")
    t = thread(Situation.KEEP_IN_TOUCH, consent)
    member = candidate(
        consents=frozenset({Purpose.TALENT_POOL}), last_contact_at=paris(2026, 3, 2, 10)
    )
    decision = plan_next(t, member, [consent], POLICY)
    assert decision.kind is DecisionKind.TASK
    assert decision.nominal_at == paris(2026, 3, 2, 10) + timedelta(days=120)
    assert plan_next(t, candidate(), [consent], POLICY).reason == "consent_missing"


def test_an_early_rejection_leaves_on_day_three_and_not_before():
    applied_at = paris(2026, 3, 2, 10)
    decided = event(paris(2026, 3, 3, 11), TouchKind.STAGE_CHANGE, outcome="rejected")
    t = thread(Situation.REJECTION, decided, anchor_at=applied_at)
    decision = plan_next(t, candidate(), [decided], POLICY)
    assert (decision.kind, decision.channel, decision.reason, decision.delay) == (
        DecisionKind.SEND,
        Channel.EMAIL,
        "rejection",
        "rejection_not_before",
    )
    assert decision.at == applied_at + timedelta(days=3)
    assert decision.deadline_at == applied_at + timedelta(days=14)


def test_a_rejection_after_an_interview_is_a_call_then_a_personal_email_by_hand():
    decided = event(paris(2026, 3, 10, 11), TouchKind.STAGE_CHANGE, outcome="rejected")
    t = thread(Situation.REJECTION, decided, anchor_at=paris(2026, 3, 9, 15), late_stage=True)
    call = plan_next(t, candidate(), [decided], POLICY)
    assert (call.kind, call.channel) == (DecisionKind.TASK, Channel.PHONE)
    answered = out(call.at, Channel.PHONE, thread=1, outcome=CallOutcome.ANSWERED)
    email = plan_next(t, candidate(), [decided, answered], POLICY)
    assert (email.kind, email.channel, email.reason) == (
        DecisionKind.TASK,
        Channel.EMAIL,
        "rejection_email",
    )
    assert email.at == answered.at  # the same contact: the answered call already counted


def test_a_candidate_writing_to_us_does_not_cancel_what_we_owe_them():
    decided = event(paris(2026, 3, 10, 11), TouchKind.STAGE_CHANGE, outcome="rejected")
    t = thread(Situation.REJECTION, decided, anchor_at=paris(2026, 3, 2, 15))
    question = inbound(paris(2026, 3, 10, 12))
    assert plan_next(t, candidate(), [decided, question], POLICY).kind is DecisionKind.SEND


def test_an_application_not_answered_raises_an_alert_before_day_fourteen():
    applied = inbound(paris(2026, 3, 2, 10), TouchKind.APPLICATION, application=7)
    t = thread(Situation.ANSWER_DEADLINE, applied, application=7)
    alert = plan_next(t, candidate(), [applied], POLICY)
    assert (alert.kind, alert.reason) == (DecisionKind.ALERT, "sla_near")
    assert alert.at == paris(2026, 3, 14, 10)
    assert alert.deadline_at == paris(2026, 3, 16, 10)
    overdue = decide(t, candidate(), [applied], POLICY, now=paris(2026, 3, 17))
    assert overdue.overdue
    moved = event(paris(2026, 3, 5), TouchKind.STAGE_CHANGE, outcome="screening", application=7)
    assert plan_next(t, candidate(), [applied, moved], POLICY).reason == "stage_changed"


def test_interview_feedback_is_done_when_the_call_is_answered():
    interview = event(paris(2026, 3, 5, 14), TouchKind.INTERVIEW)
    t = thread(Situation.INTERVIEW_FEEDBACK, interview)
    call = plan_next(t, candidate(), [interview], POLICY)
    assert call.deadline_at == paris(2026, 3, 6, 19)
    answered = out(paris(2026, 3, 5, 17), Channel.PHONE, thread=1, outcome=CallOutcome.ANSWERED)
    assert plan_next(t, candidate(), [interview, answered], POLICY).reason == "plan_done"
    missed = out(paris(2026, 3, 5, 17), Channel.PHONE, thread=1, outcome=CallOutcome.NO_ANSWER)
    assert plan_next(t, candidate(), [interview, missed], POLICY).channel is Channel.EMAIL


def test_a_send_held_for_rewriting_becomes_a_task_with_that_reason():
    start = out(paris(2026, 3, 2, 9), Channel.EMAIL, thread=1)
    t = thread(Situation.FIRST_MESSAGE, start, held_action=1)
    decision = plan_next(t, candidate(), [start], POLICY)
    assert (decision.kind, decision.reason) == (DecisionKind.TASK, "near_duplicate")


def test_priority_puts_later_stages_then_stars_then_the_most_overdue_first():
    due = paris(2026, 3, 2, 9)
    interview = priority_key(Stage.INTERVIEW.rank, 0, due, Situation.INTERVIEW_FEEDBACK)
    sourced_star = priority_key(Stage.CONTACTED.rank, 3, due, Situation.FIRST_MESSAGE)
    sourced = priority_key(Stage.CONTACTED.rank, 0, due, Situation.FIRST_MESSAGE)
    sourced_older = priority_key(
        Stage.CONTACTED.rank, 0, due - timedelta(days=1), Situation.FIRST_MESSAGE
    )
    application = priority_key(Stage.CONTACTED.rank, 0, due, Situation.APPLICATION)
    assert interview < sourced_star < sourced_older < application < sourced


def test_a_send_due_in_the_past_still_waits_for_the_window_to_open():
    from relance.engine import opening

    t, touches = first_message(paris(2026, 3, 2, 9, 15), Channel.EMAIL)
    due = plan_next(t, candidate(), touches, POLICY)
    saturday = paris(2026, 3, 7, 11, 0)
    decision = decide(t, candidate(), touches, POLICY, now=saturday)
    assert decision.kind is DecisionKind.SEND
    assert opening(decision, candidate(), POLICY, saturday) == paris(2026, 3, 9, 8, 0)
    assert opening(decision, candidate(), POLICY, due.at) == due.at


def test_a_wait_into_the_night_that_the_cap_caused_is_said_to_be_the_cap():
    """A follow-up due Wednesday 16:05 when another message left that morning: the cap
    puts it off to Thursday, and the sending hours to 08:00 — the reason a recruiter reads
    is "already 1 message today", not "outside sending hours" on a Wednesday afternoon."""
    slow = Policy.from_mapping({"followup_delays_days": [9, 5, 7]})
    t, touches = first_message(paris(2026, 2, 23, 16, 5), Channel.EMAIL)
    touches.append(out(paris(2026, 3, 4, 9, 0), Channel.LINKEDIN))
    decision = plan_next(t, candidate(), touches, slow)
    assert decision.nominal_at == paris(2026, 3, 4, 16, 5)
    assert decision.at == paris(2026, 3, 5, 8, 0)
    assert (decision.delay, decision.params["period"]) == ("pressure_cap", "day")
    # A due time on a Saturday, with nothing else in the way, is the weekend's doing.
    t, touches = first_message(paris(2026, 3, 5, 10, 0), Channel.EMAIL)
    decision = plan_next(t, candidate(), touches, POLICY)
    assert (decision.at, decision.delay) == (paris(2026, 3, 9, 8, 0), "weekend")
