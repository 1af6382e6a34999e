"""The plans of each situation: which action comes after which, on what channel, when.

A plan is a list of actions. The first ones may be `initial`: done by the very event
that starts the thread (the approach message, the first call). The engine walks the list:
the next action is the one after the last done. Follow-ups are numbered from 1 and are
cut at the policy's `max_followups`, itself never above the hard cap of 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from relance.engine.policy import HARD_MAX_FOLLOWUPS, Policy
from relance.engine.types import CandidateView, Channel, Mode, Situation, ThreadView


class Timing(StrEnum):
    AT_ONCE = "at_once"  # as soon as the step before is done (or the thread starts)
    AFTER_DAYS = "after_days"  # a number of days after the step before
    OTHER_TIME_NEXT_DAY = "other_time_next_day"  # next working day, another time of day
    NOT_BEFORE_DAYS = "not_before_days"  # at once, but not before anchor + days
    AFTER_SILENCE_DAYS = "after_silence_days"  # days after the last contact of any kind
    FROM_START_DAYS = "from_start_days"  # days after the thread started


class Deadline(StrEnum):
    WORKING_HOURS = "working_hours"  # from the start, counted in working hours
    END_OF_NEXT_WORKING_DAY = "end_of_next_working_day"  # from the start
    DAYS_FROM_START = "days_from_start"
    DAYS_FROM_ANCHOR = "days_from_anchor"
    DAYS_AFTER_PREVIOUS = "days_after_previous"


@dataclass(frozen=True)
class Action:
    step: int
    channel: Channel | None
    mode: Mode
    reason: str
    template: str
    timing: Timing = Timing.AT_ONCE
    days: float = 0
    deadline: Deadline | None = None
    deadline_amount: float = 0
    doubles_call: bool = False
    initial: bool = False
    only_if_call_missed: bool = False

    @property
    def is_followup(self) -> bool:
        return self.step >= 1


def _mode(channel: Channel) -> Mode:
    # E-mail is what Relance can send itself; SMS, LinkedIn and calls are one-click tasks.
    return Mode.SEND if channel is Channel.EMAIL else Mode.TASK


def written_channel(
    candidate: CandidateView,
    wanted: Channel | None = None,
    allowed: tuple[Channel, ...] = (Channel.EMAIL, Channel.LINKEDIN, Channel.SMS),
) -> Channel | None:
    """The written channel to use among `allowed`: the one wanted if the candidate has
    it, else the first of `allowed` they have."""
    available = {
        Channel.EMAIL: candidate.has_email and candidate.email_bounced_at is None,
        Channel.LINKEDIN: candidate.has_linkedin,
        Channel.SMS: candidate.has_phone,
    }
    if wanted is not None and wanted in allowed and available.get(wanted):
        return wanted
    for channel in allowed:
        if available[channel]:
            return channel
    return None


EMAIL_ONLY = (Channel.EMAIL,)
NOT_LINKEDIN = (Channel.SMS, Channel.EMAIL)


def plan_for(
    thread: ThreadView,
    candidate: CandidateView,
    start_channel: Channel | None,
    policy: Policy,
) -> list[Action]:
    """The actions of `thread`'s plan under `policy`, initial ones included."""
    builder = _PLANS[thread.situation]
    actions = builder(thread, candidate, start_channel, policy)
    limit = min(policy.max_followups, HARD_MAX_FOLLOWUPS)
    return [a for a in actions if a.step <= limit]


def _written_followups(
    situation: Situation, channel: Channel, policy: Policy, first: int = 1
) -> list[Action]:
    return [
        Action(
            step=step,
            channel=channel,
            mode=_mode(channel),
            reason="followup",
            template=f"{situation}.{step}.{channel}",
            timing=Timing.AFTER_DAYS,
            days=policy.followup_delays_days[step - 1],
        )
        for step in range(first, HARD_MAX_FOLLOWUPS + 1)
    ]


def _first_message(
    thread: ThreadView, candidate: CandidateView, start: Channel | None, policy: Policy
) -> list[Action]:
    channel = start if start is not None and start.written else Channel.EMAIL
    first = Action(
        0, channel, _mode(channel), "first_message", f"first_message.0.{channel}", initial=True
    )
    followup_channel = written_channel(candidate, channel)
    if followup_channel is None:
        return [first]
    return [first, *_written_followups(Situation.FIRST_MESSAGE, followup_channel, policy)]


def _linkedin_invitation(
    thread: ThreadView, candidate: CandidateView, start: Channel | None, policy: Policy
) -> list[Action]:
    message = Action(
        0,
        Channel.LINKEDIN,
        Mode.TASK,
        "linkedin_message",
        "linkedin_invitation.0.linkedin",
        deadline=Deadline.END_OF_NEXT_WORKING_DAY,
    )
    return [message, *_written_followups(Situation.LINKEDIN_INVITATION, Channel.LINKEDIN, policy)]


def _cv_database(
    thread: ThreadView, candidate: CandidateView, start: Channel | None, policy: Policy
) -> list[Action]:
    actions = [
        Action(0, Channel.PHONE, Mode.TASK, "first_call", "cv_database.0.phone", initial=True)
    ]
    # The article's advice: always double a missed call in writing, SMS first.
    doubling = written_channel(candidate, Channel.SMS, NOT_LINKEDIN)
    if doubling is not None:
        actions.append(
            Action(
                0,
                doubling,
                _mode(doubling),
                "doubles_call",
                f"cv_database.0.{doubling}",
                doubles_call=True,
            )
        )
    actions.append(
        Action(
            1,
            Channel.PHONE,
            Mode.TASK,
            "call_back",
            "cv_database.1.phone",
            timing=Timing.OTHER_TIME_NEXT_DAY,
        )
    )
    last = written_channel(candidate, Channel.EMAIL, NOT_LINKEDIN)
    if last is not None:
        for step, delay in (
            (2, policy.followup_delays_days[0]),
            (3, policy.followup_delays_days[2]),
        ):
            actions.append(
                Action(
                    step,
                    last,
                    _mode(last),
                    "followup",
                    f"cv_database.{step}.{last}",
                    timing=Timing.AFTER_DAYS,
                    days=delay,
                )
            )
    return actions


def _application(
    thread: ThreadView, candidate: CandidateView, start: Channel | None, policy: Policy
) -> list[Action]:
    within = policy.application_followup_within_days
    hours = policy.application_call_within_hours
    if candidate.has_phone:
        first = Action(
            0,
            Channel.PHONE,
            Mode.TASK,
            "application_call",
            "application.0.phone",
            deadline=Deadline.WORKING_HOURS,
            deadline_amount=hours,
        )
        if (
            candidate.preferred_channel is Channel.PHONE
            or written_channel(candidate, allowed=EMAIL_ONLY) is None
        ):
            followup = Action(
                1,
                Channel.PHONE,
                Mode.TASK,
                "application_followup",
                "application.1.phone",
                timing=Timing.OTHER_TIME_NEXT_DAY,
                deadline=Deadline.DAYS_AFTER_PREVIOUS,
                deadline_amount=within,
            )
            return [first, followup]
        delay = 1.0
    else:
        channel = written_channel(candidate, allowed=EMAIL_ONLY)
        if channel is None:
            return []
        first = Action(
            0,
            channel,
            Mode.TASK,
            "application_message",
            f"application.0.{channel}",
            deadline=Deadline.WORKING_HOURS,
            deadline_amount=hours,
        )
        delay = policy.spacing_days
    channel = written_channel(candidate, allowed=EMAIL_ONLY)
    if channel is None:
        return [first]
    followup = Action(
        1,
        channel,
        _mode(channel),
        "application_followup",
        f"application.1.{channel}",
        timing=Timing.AFTER_DAYS,
        days=delay,
        deadline=Deadline.DAYS_AFTER_PREVIOUS,
        deadline_amount=within,
    )
    return [first, followup]


def _keep_in_touch(
    thread: ThreadView, candidate: CandidateView, start: Channel | None, policy: Policy
) -> list[Action]:
    wanted = candidate.preferred_channel if candidate.preferred_channel else Channel.LINKEDIN
    channel = written_channel(candidate, wanted, (Channel.LINKEDIN, Channel.EMAIL))
    if channel is None:
        return []
    # A personal message: the recruiter writes it, whatever the channel.
    if thread.trigger:
        return [
            Action(0, channel, Mode.TASK, "keep_in_touch_trigger", f"keep_in_touch.0.{channel}")
        ]
    return [
        Action(
            0,
            channel,
            Mode.TASK,
            "keep_in_touch",
            f"keep_in_touch.0.{channel}",
            timing=Timing.AFTER_SILENCE_DAYS,
            days=policy.keep_in_touch_after_days,
        )
    ]


def _interview_feedback(
    thread: ThreadView, candidate: CandidateView, start: Channel | None, policy: Policy
) -> list[Action]:
    actions = []
    if candidate.has_phone:
        actions.append(
            Action(
                0,
                Channel.PHONE,
                Mode.TASK,
                "interview_feedback",
                "interview_feedback.0.phone",
                deadline=Deadline.END_OF_NEXT_WORKING_DAY,
            )
        )
    channel = written_channel(candidate, allowed=EMAIL_ONLY)
    if channel is not None:
        actions.append(
            Action(
                0,
                channel,
                Mode.TASK,
                "feedback_email" if actions else "interview_feedback",
                f"interview_feedback.0.{channel}",
                deadline=Deadline.END_OF_NEXT_WORKING_DAY,
                doubles_call=bool(actions),
                only_if_call_missed=bool(actions),
            )
        )
    return actions


def _answer_deadline(
    thread: ThreadView, candidate: CandidateView, start: Channel | None, policy: Policy
) -> list[Action]:
    return [
        Action(
            0,
            None,
            Mode.ALERT,
            "sla_near",
            "",
            timing=Timing.FROM_START_DAYS,
            days=policy.answer_deadline_days - policy.deadline_warning_days,
            deadline=Deadline.DAYS_FROM_START,
            deadline_amount=policy.answer_deadline_days,
        )
    ]


def _rejection(
    thread: ThreadView, candidate: CandidateView, start: Channel | None, policy: Policy
) -> list[Action]:
    def action(channel: Channel, mode: Mode, reason: str, template: str, **extra: Any) -> Action:
        timing = {"timing": Timing.NOT_BEFORE_DAYS, "days": policy.rejection_not_before_days}
        return Action(
            0,
            channel,
            mode,
            reason,
            template,
            deadline=Deadline.DAYS_FROM_ANCHOR,
            deadline_amount=policy.answer_deadline_days,
            **(extra or timing),
        )

    email = written_channel(candidate, allowed=EMAIL_ONLY)
    if thread.late_stage:
        # Met at interview or later: a call to explain, then a personal e-mail with the
        # reasons and one piece of advice, which the recruiter edits: both by hand.
        actions = []
        if candidate.has_phone:
            actions.append(
                action(Channel.PHONE, Mode.TASK, "rejection_call", "rejection.late.phone")
            )
        if email is not None:
            after_call = {"doubles_call": True} if actions else {}
            actions.append(
                action(email, Mode.TASK, "rejection_email", f"rejection.late.{email}", **after_call)
            )
        return actions
    if email is None:
        return []
    return [action(email, _mode(email), "rejection", f"rejection.early.{email}")]


_PLANS = {
    Situation.FIRST_MESSAGE: _first_message,
    Situation.LINKEDIN_INVITATION: _linkedin_invitation,
    Situation.CV_DATABASE: _cv_database,
    Situation.APPLICATION: _application,
    Situation.KEEP_IN_TOUCH: _keep_in_touch,
    Situation.INTERVIEW_FEEDBACK: _interview_feedback,
    Situation.ANSWER_DEADLINE: _answer_deadline,
    Situation.REJECTION: _rejection,
}
