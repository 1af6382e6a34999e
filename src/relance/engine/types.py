"""The engine's vocabulary: channels, touchpoints, situations, stages and decisions.

Everything here is plain data with no Django import, so the rules can be tested and
reasoned about on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    LINKEDIN = "linkedin"
    PHONE = "phone"

    @property
    def written(self) -> bool:
        """E-mail, SMS and LinkedIn are written messages; a call is not (hard rule 2)."""
        return self is not Channel.PHONE


class Direction(StrEnum):
    OUT = "out"
    IN = "in"


class TouchKind(StrEnum):
    """What a touchpoint records. Most have a channel and a direction; a few are
    changes of the candidate's state that belong on the timeline too."""

    MESSAGE = "message"  # a written message, out or in
    ACKNOWLEDGEMENT = "acknowledgement"  # receipt of an application: out, never counted
    CALL = "call"  # outcome: answered, voicemail, no_answer
    AUTO_REPLY = "auto_reply"  # in: an out-of-office; delays, never stops
    BOUNCE = "bounce"  # in: outcome hard or soft
    INVITATION_ACCEPTED = "invitation_accepted"  # in: our LinkedIn invitation accepted
    APPLICATION = "application"  # in: the candidate applied
    INTERVIEW = "interview"  # an interview took place
    STAGE_CHANGE = "stage_change"  # outcome: the new stage
    UNSUBSCRIBE = "unsubscribe"
    DO_NOT_CONTACT = "do_not_contact"
    CONSENT_GIVEN = "consent_given"  # outcome: the purpose
    CONSENT_WITHDRAWN = "consent_withdrawn"  # outcome: the purpose
    TRIGGER = "trigger"  # a reason to get in touch: work anniversary, new job, a post
    NOTE = "note"


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"


class BounceKind(StrEnum):
    HARD = "hard"  # the address is bad: every thread stops (hard rule 5)
    SOFT = "soft"  # try again later
    POLICY = "policy"  # the sender was blocked (5.7.x): not the candidate's doing


class Purpose(StrEnum):
    TALENT_POOL = "talent_pool"
    NEWSLETTER = "newsletter"
    JOB_ALERTS = "job_alerts"


class Stage(StrEnum):
    SOURCED = "sourced"
    CONTACTED = "contacted"
    REPLIED = "replied"
    APPLIED = "applied"
    SCREENING = "screening"
    INTERVIEW = "interview"
    FINAL = "final"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def rank(self) -> int:
        """How far along the process: the further, the more urgent (ends rank 0)."""
        return _STAGE_RANK.get(self, 0)

    @property
    def ends_everything(self) -> bool:
        """`hired` and `withdrawn` end every thread (hard rule 5)."""
        return self in (Stage.HIRED, Stage.WITHDRAWN)


_STAGE_RANK = {
    stage: rank
    for rank, stage in enumerate(
        [
            Stage.SOURCED,
            Stage.CONTACTED,
            Stage.REPLIED,
            Stage.APPLIED,
            Stage.SCREENING,
            Stage.INTERVIEW,
            Stage.FINAL,
            Stage.OFFER,
            Stage.HIRED,
        ]
    )
}


class Situation(StrEnum):
    """The five follow-up situations of DOMAIN.md, then the three obligations.

    A follow-up situation chases an answer: it stops as soon as the candidate answers.
    An obligation is something we owe the candidate (an answer to their application,
    feedback after an interview, a rejection): the candidate writing to us does not
    cancel it. Both live in threads so that both are on the agenda.
    """

    LINKEDIN_INVITATION = "linkedin_invitation"
    FIRST_MESSAGE = "first_message"
    CV_DATABASE = "cv_database"
    APPLICATION = "application"
    KEEP_IN_TOUCH = "keep_in_touch"
    INTERVIEW_FEEDBACK = "interview_feedback"
    ANSWER_DEADLINE = "answer_deadline"
    REJECTION = "rejection"

    @property
    def chases_an_answer(self) -> bool:
        return self in FOLLOW_UP_SITUATIONS


FOLLOW_UP_SITUATIONS = frozenset(
    {
        Situation.LINKEDIN_INVITATION,
        Situation.FIRST_MESSAGE,
        Situation.CV_DATABASE,
        Situation.APPLICATION,
        Situation.KEEP_IN_TOUCH,
    }
)


class Mode(StrEnum):
    """How an action happens: the system sends it, a recruiter does it, or it is an alert."""

    SEND = "send"
    TASK = "task"
    ALERT = "alert"


class DecisionKind(StrEnum):
    SEND = "send"
    TASK = "task"
    ALERT = "alert"
    WAIT = "wait"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class Touch:
    """One touchpoint as the engine sees it.

    `seq` orders touchpoints that share a timestamp (it is the database id); `thread`
    is set when the touchpoint is an action of that thread (a step done).
    """

    seq: int
    at: datetime
    kind: TouchKind
    direction: Direction | None = None
    channel: Channel | None = None
    outcome: str = ""
    thread: int | None = None
    application: int | None = None
    doubles_call: bool = False
    until: datetime | None = None  # the return date an out-of-office gave

    @property
    def counts_for_pressure_alone(self) -> bool:
        """Written messages out count; calls count when answered or a voicemail was left.

        The acknowledgement of an application never counts (the candidate asked for it).
        A message that doubles a call is part of the same contact: see rules.counted_times.
        """
        if self.direction is not Direction.OUT:
            return False
        if self.kind is TouchKind.MESSAGE:
            return self.channel is not None and self.channel.written
        if self.kind is TouchKind.CALL:
            return self.outcome in (CallOutcome.ANSWERED, CallOutcome.VOICEMAIL)
        return False


@dataclass(frozen=True, slots=True)
class CandidateView:
    """What the engine needs to know about a candidate, as of now."""

    timezone: str
    country: str
    stars: int = 0
    has_email: bool = True
    has_phone: bool = False
    has_linkedin: bool = False
    preferred_channel: Channel | None = None
    unsubscribed_at: datetime | None = None
    do_not_contact_at: datetime | None = None
    email_bounced_at: datetime | None = None
    consents: frozenset[Purpose] = frozenset()
    last_contact_at: datetime | None = None
    stage_rank: int = 0  # the best stage among the candidate's active applications


@dataclass(frozen=True, slots=True)
class ThreadView:
    """One thread: a candidate in one situation, as stored."""

    id: int
    situation: Situation
    started_at: datetime
    start_seq: int
    recruiter: int | None = None
    application: int | None = None
    stage_rank: int | None = None  # the stage of the thread's application, if any
    anchor_at: datetime | None = None  # rejection: when they applied or had their last interview
    late_stage: bool = False  # rejection: rejected at `interview` or later
    trigger: str = ""  # keep_in_touch: what prompted it (work_anniversary, new_job, post)
    held_action: int | None = None  # an automatic send held back for rewriting (rule 7)
    held_reason: str = ""  # why: near_duplicate (the default), unsendable
    snoozed_until: datetime | None = None  # a recruiter put the next action off until then


@dataclass(frozen=True, slots=True)
class Decision:
    """What comes next for a thread, when, and why.

    `reason` says why the action is due (or why the thread stops); `delay`, when the rules
    held the action back, names the rule that held it most.
    """

    kind: DecisionKind
    at: datetime
    situation: Situation
    reason: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    delay: str | None = None
    step: int | None = None
    channel: Channel | None = None
    action: Mode | None = None  # for `wait`: what will happen at `at`
    action_index: int | None = None  # position of the action in the thread's plan
    template: str | None = None
    nominal_at: datetime | None = None  # when the plan wanted it, before the rules
    deadline_at: datetime | None = None
    overdue: bool = False
    doubles_call: bool = False

    @property
    def is_open(self) -> bool:
        return self.kind is not DecisionKind.STOP

    @property
    def why(self) -> str:
        """The reason to show: the rule that delayed it, else the reason for the action."""
        return self.delay or self.reason

    def sentence(self, language: str, waiting: bool | None = None) -> str:
        """The sentence a recruiter reads. While the action waits, why it waits; once it
        is due, what it is for."""
        from relance.engine.reasons import sentence

        if waiting is None:
            waiting = self.kind is DecisionKind.WAIT
        code = self.delay if waiting and self.delay else self.reason
        return sentence(code, language, self.params)
