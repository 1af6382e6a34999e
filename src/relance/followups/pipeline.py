"""A job's pipeline: candidates added to a job at a stage, applications recorded, stages
moved — each one event through services.record_event (so that follow-ups stop, rejections
start and tag rules apply, whatever the door), and each a change to the person in the
audit log. And the board a job's page shows, read from the `application_pipeline` index:
the count per stage and the latest moves of each stage, a bounded number at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from relance.engine import Channel, Stage
from relance.errors import InputError
from relance.followups.events import Event, EventType
from relance.followups.recompute import Effect
from relance.followups.services import record_event
from relance.people import rights
from relance.people.models import Application, AuditEntry, Candidate, Job, Recruiter

# The stages of a process, in order, and the ends shown apart.
PROCESS = [s for s in Stage if s.rank > 0 or s is Stage.SOURCED]
ENDS = [Stage.REJECTED, Stage.WITHDRAWN]
# A candidate is added to a job at a stage of the process, never at an end.
ADDABLE = [s for s in PROCESS if s is not Stage.HIRED]


class Refused(InputError):
    """A change the rules refuse. `code` lets a page say it in the reader's language;
    `params` holds what the sentence names (a stage)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class NeedsConfirmation(Refused):
    """Moving an application back (an earlier stage, or an ended one reopened): it undoes
    progress, so it is done only when confirmed."""


@dataclass(frozen=True)
class Done:
    application: Application
    stopped: int  # follow-ups the event stopped (a stage change ends those chasing an answer)
    started: list[str]  # situations it started (an application, a rejection…)


def _done(application: Application, effects: Iterable[Effect]) -> Done:
    effects = list(effects)
    return Done(
        application,
        stopped=sum(1 for e in effects if e.kind == "stop"),
        started=[e.situation for e in effects if e.kind == "start" and e.situation],
    )


def _open(job: Job) -> None:
    if job.status != Job.Status.OPEN:
        raise Refused("job_closed", f"{job}: the job is closed; reopen it first")


def add(candidate: Candidate, job: Job, stage: str, actor: Recruiter | None, now: datetime) -> Done:
    """Put `candidate` on `job` at `stage` (sourced … offer): a stage change, with its
    effects on their follow-ups. An application already there is left alone."""
    _open(job)
    if stage not in ADDABLE:
        raise Refused(
            "not_addable",
            f"stage {stage!r}: a candidate is added at one of {', '.join(ADDABLE)}",
            stage=stage,
        )
    existing = Application.objects.filter(candidate=candidate, job=job).first()
    if existing is not None:
        raise Refused(
            "already_on_job",
            f"{candidate} is on this job already, at {existing.stage}",
            stage=existing.stage,
        )
    with transaction.atomic():
        event = Event(
            EventType.STAGE_CHANGED, now, candidate, recruiter=actor, job=job, outcome=stage
        )
        effects = record_event(event, now)
        application = Application.objects.get(candidate=candidate, job=job)
        rights.audit(
            candidate, actor, AuditEntry.Action.CHANGED, now, job=job.pk, added_at_stage=stage
        )
    return _done(application, effects)


def applied(
    candidate: Candidate,
    job: Job,
    actor: Recruiter | None,
    now: datetime,
    channel: Channel = Channel.EMAIL,
) -> Done:
    """Record that `candidate` applied to `job`: the acknowledgement is written to the
    outbox at once, the `application` follow-ups and the answer deadline start (the job's
    recruiter in charge follows them up, else the one recording it)."""
    _open(job)
    existing = Application.objects.filter(candidate=candidate, job=job).first()
    if existing is not None and Stage(existing.stage).rank >= Stage.APPLIED.rank:
        raise Refused(
            "already_applied",
            f"{candidate} is on this job already, at {existing.stage}",
            stage=existing.stage,
        )
    if existing is not None and not existing.is_active:
        raise Refused(
            "application_ended",
            f"{candidate}'s application to this job ended ({existing.stage})",
            stage=existing.stage,
        )
    with transaction.atomic():
        event = Event(
            EventType.APPLICATION_RECEIVED,
            now,
            candidate,
            recruiter=job.owner or actor,
            job=job,
            channel=channel,
        )
        effects = record_event(event, now)
        application = Application.objects.get(candidate=candidate, job=job)
        rights.audit(candidate, actor, AuditEntry.Action.CHANGED, now, job=job.pk, applied=True)
    return _done(application, effects)


def move(
    application: Application,
    stage: str,
    actor: Recruiter | None,
    now: datetime,
    *,
    confirmed: bool = False,
) -> Done:
    """Move `application` to `stage`. Back (an earlier stage, or an end undone) only when
    `confirmed`. Every move is a stage change: follow-ups chasing an answer stop, `hired`
    and `withdrawn` end them all, `rejected` starts the rejection."""
    if stage not in {s.value for s in Stage}:
        raise Refused(
            "unknown_stage", f"stage {stage!r}: expected one of {', '.join(Stage)}", stage=stage
        )
    if stage == application.stage:
        raise Refused("same_stage", f"the application is at {stage} already", stage=stage)
    if application.goes_back_to(stage) and not confirmed:
        raise NeedsConfirmation(
            "goes_back",
            f"moving back from {application.stage} to {stage} needs a confirmation",
            stage=stage,
        )
    before = application.stage
    candidate = application.candidate
    with transaction.atomic():
        event = Event(
            EventType.STAGE_CHANGED,
            now,
            candidate,
            recruiter=actor,
            job=application.job,
            outcome=stage,
        )
        effects = record_event(event, now)
        application.refresh_from_db()
        rights.audit(
            candidate, actor, AuditEntry.Action.CHANGED, now,
            job=application.job_id, stage=[before, stage],
        )  # fmt: skip
    return _done(application, effects)


# --- the board ---------------------------------------------------------------------------


# What a card shows: the candidate's name and stars, since when at this stage.
CARD_FIELDS = (
    "pk", "stage", "stage_changed_at", "job_id", "candidate_id", "furthest_stage",
    "candidate__first_name", "candidate__last_name", "candidate__stars",
)  # fmt: skip


@dataclass
class Column:
    stage: str
    count: int
    cards: list[Application]
    more: str = ""  # the cursor of the cards after these ("" when none)

    @property
    def rest(self) -> int:
        """How many are not shown."""
        return self.count - len(self.cards)


def counts(job: Job) -> dict[str, int]:
    """Applications per stage (one index scan)."""
    rows = Application.objects.filter(job=job).values_list("stage").annotate(n=Count("pk"))
    return dict(rows.order_by())


def cards(job: Job, stage: str, limit: int, after: str = "") -> tuple[list[Application], str]:
    """The applications of one stage, latest moved first, `limit` at most, after the
    cursor `after` (from a previous page); with the cursor of the next page, or ""."""
    rows = Application.objects.filter(job=job, stage=stage)
    if after:
        at, pk = read_cursor(after)
        rows = rows.filter(Q(stage_changed_at__lt=at) | Q(stage_changed_at=at, pk__lt=pk))
    found = list(
        rows.select_related("candidate")
        .only(*CARD_FIELDS)
        .order_by("-stage_changed_at", "-pk")[: limit + 1]
    )
    if len(found) <= limit:
        return found, ""
    found = found[:limit]
    last = found[-1]
    return found, f"{last.stage_changed_at.isoformat()}_{last.pk}"


def remaining(job: Job, stage: str, after: str) -> int:
    """How many applications of the stage come after the cursor (one index range)."""
    at, pk = read_cursor(after)
    return (
        Application.objects.filter(job=job, stage=stage)
        .filter(Q(stage_changed_at__lt=at) | Q(stage_changed_at=at, pk__lt=pk))
        .count()
    )


def read_cursor(raw: str) -> tuple[datetime, int]:
    """A cursor written by `cards`; InputError for anything else (a hand-made address)."""
    at, _, pk = raw.rpartition("_")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise InputError(f"after={raw!r}: expected a cursor from the page") from None
    if not pk.isdigit() or moment.tzinfo is None:
        raise InputError(f"after={raw!r}: expected a cursor from the page")
    return moment, int(pk)


def board(job: Job, per_column: int) -> tuple[list[Column], list[Column]]:
    """The process's columns (sourced → hired) and the ends (rejected, withdrawn), each
    with its count and its first `per_column` cards. One query per stage that has any."""
    numbers = counts(job)
    out: dict[str, Column] = {}
    for stage in [*PROCESS, *ENDS]:
        n = numbers.get(stage.value, 0)
        shown, more = cards(job, stage.value, per_column) if n else ([], "")
        out[stage.value] = Column(stage.value, n, shown, more)
    return [out[s.value] for s in PROCESS], [out[s.value] for s in ENDS]
