"""Interviews: scheduled for an application, moved, cancelled, and recorded when they took
place.

Scheduling one moves the application to `interview` when it was earlier (a stage change:
the follow-ups chasing an answer stop) and writes a confirmation e-mail to the outbox at
once, with the interview-preparation guide (the template `interview.confirmation.email`,
the organisation's own or the built-in one, in the candidate's language). Moving or
cancelling a future interview writes a short notice, as a reply in the same e-mail thread.

That an interview took place is said by a recruiter, not assumed when its time is over:
only they know whether the candidate came (a no-show, an interview moved by phone). It is
an `interview` event at the interview's time, which starts the feedback deadline (the same
or the next working day) on Today — late at once when it is recorded late, so that a
forgotten interview shows up as overdue rather than never. An interview that already
happened without being scheduled here is recorded the same way (`record_past`).

These messages leave even while the person's follow-ups are held by the pressure cap: they
answer what the candidate agreed to. Being written messages, they count for the cap
afterwards, like any other (DOMAIN.md exempts only the acknowledgement).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from relance.engine import Stage, calendar
from relance.followups import pipeline
from relance.followups.events import Event, EventType
from relance.followups.pipeline import Refused
from relance.followups.services import record_event
from relance.messaging import compose, outbox
from relance.messaging.checks import Unsendable
from relance.messaging.models import OutboxMessage
from relance.messaging.render import TemplateProblem
from relance.people import rights
from relance.people.models import (
    Application,
    AuditEntry,
    Interview,
    Job,
    Organisation,
    Recruiter,
)

log = logging.getLogger(__name__)

MIN_MINUTES, MAX_MINUTES = 10, 8 * 60
AHEAD = timedelta(days=366)  # a date further away is a typo (2062 for 2026)
LONGEST_PLACE = 300
# The templates, and the reason each message carries in the outbox.
TEMPLATES = {
    "confirmation": "interview.confirmation.email",
    "rescheduled": "interview.rescheduled.email",
    "cancelled": "interview.cancelled.email",
}


@dataclass
class Plan:
    """What a recruiter says about an interview."""

    at: datetime  # aware; read in the organisation's zone (local_moment)
    minutes: int = 60
    interviewer: Recruiter | None = None
    place: str = ""  # an address, a room, "by phone"
    video_url: str = ""


@dataclass(frozen=True)
class Problem:
    field: str  # at, minutes, interviewer, place, video_url
    code: str  # in_the_past, too_far, off_hours, not_yet, minutes, video_url, no_place, …
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """What became of the candidate's e-mail: written to the outbox, or why not."""

    sent: bool
    why: str = ""  # no_email, bounced, do_not_contact, template
    detail: str = ""


def local_moment(day: date, clock: time, zone: str) -> datetime:
    """The instant of a wall-clock time in `zone`; Refused when that time does not exist
    there (skipped by a daylight-saving change: 02:30 on the last Sunday of March)."""
    moment = calendar.at_local(day, clock, zone)
    back = calendar.local(moment, zone)
    if (back.date(), back.time().replace(second=0, microsecond=0)) != (day, clock):
        raise Refused(
            "no_such_time",
            f"{day} {clock:%H:%M} does not exist in {zone} (a daylight-saving change)",
            time=f"{clock:%H:%M}",
        )
    return moment


def problems(
    plan: Plan,
    organisation: Organisation,
    now: datetime,
    *,
    past: bool = False,
    off_hours_confirmed: bool = False,
) -> list[Problem]:
    """What is wrong with `plan`: a date in the past (or, for an interview that already
    took place, `past`, in the future), too far ahead, outside working hours (unless
    confirmed), a duration, a video link that is not a web address, no place at all."""
    found: list[Problem] = []
    if past and plan.at > now:
        found.append(Problem("at", "not_yet"))
    elif not past and plan.at <= now:
        found.append(Problem("at", "in_the_past"))
    elif not past and plan.at > now + AHEAD:
        found.append(Problem("at", "too_far"))
    if not MIN_MINUTES <= plan.minutes <= MAX_MINUTES:
        found.append(Problem("minutes", "minutes", {"low": MIN_MINUTES, "high": MAX_MINUTES}))
    if plan.video_url:
        try:
            URLValidator(schemes=["https", "http"])(plan.video_url)
        except ValidationError:
            found.append(Problem("video_url", "video_url"))
    if len(plan.place) > LONGEST_PLACE:
        found.append(Problem("place", "place_too_long", {"high": LONGEST_PLACE}))
    if not plan.place.strip() and not plan.video_url:
        found.append(Problem("place", "no_place"))
    if plan.interviewer is not None and plan.interviewer.organisation_id != organisation.pk:
        found.append(Problem("interviewer", "interviewer"))
    if not past and not off_hours_confirmed and not found:
        hours = off_hours(plan, organisation)
        if hours is not None:
            found.append(Problem("at", "off_hours", hours))
    return found


def off_hours(plan: Plan, organisation: Organisation) -> dict[str, str | int] | None:
    """None when the interview lies within working hours (a working day of the
    organisation's country, within its sending window: 08:00–19:00 by default); else what
    the page says about it."""
    zone, country = organisation.timezone, organisation.country
    start, end = organisation.get_policy().sending_window
    local = calendar.local(plan.at, zone)
    finish = calendar.local(plan.at + timedelta(minutes=plan.minutes), zone)
    params: dict[str, str | int] = {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
    holiday = calendar.holiday_name(local.date(), country)
    if holiday is not None:
        return {**params, "holiday": holiday}
    if local.weekday() >= 5:
        return {**params, "weekend": 1}
    if local.time() < start or finish.date() != local.date() or finish.time() > end:
        return params
    return None


def _check(plan: Plan, organisation: Organisation, now: datetime, **how: bool) -> None:
    found = problems(plan, organisation, now, **how)
    if found:
        first = found[0]
        raise Refused(first.code, f"interview {first.field}: {first.code}", **first.params)


def _schedulable(application: Application) -> None:
    if application.job.status != Job.Status.OPEN:
        raise Refused("job_closed", f"{application.job}: the job is closed; reopen it first")
    if not application.is_active:
        raise Refused(
            "application_ended",
            f"the application ended ({application.stage})",
            stage=application.stage,
        )


def _to_interview_stage(application: Application, actor: Recruiter | None, now: datetime) -> None:
    """An application before `interview` moves there: a stage change, with its effects."""
    if Stage(application.stage).rank < Stage.INTERVIEW.rank:
        pipeline.move(application, Stage.INTERVIEW.value, actor, now)


def schedule(
    application: Application,
    plan: Plan,
    actor: Recruiter | None,
    now: datetime,
    *,
    off_hours_confirmed: bool = False,
) -> tuple[Interview, Notice]:
    """Plan an interview and write its confirmation to the outbox, in one transaction."""
    organisation = application.organisation
    _schedulable(application)
    _check(plan, organisation, now, off_hours_confirmed=off_hours_confirmed)
    with transaction.atomic():
        _to_interview_stage(application, actor, now)
        interview = Interview.objects.create(
            organisation=organisation, application=application, at=plan.at,
            minutes=plan.minutes, interviewer=plan.interviewer, place=plan.place.strip(),
            video_url=plan.video_url, created_at=now,
        )  # fmt: skip
        rights.audit(
            application.candidate, actor, AuditEntry.Action.CHANGED, now,
            job=application.job_id, interview=interview.pk, scheduled=plan.at.isoformat(),
        )  # fmt: skip
        notice = _notify(interview, "confirmation", actor, now)
    return interview, notice


def reschedule(
    interview: Interview,
    plan: Plan,
    actor: Recruiter | None,
    now: datetime,
    *,
    off_hours_confirmed: bool = False,
) -> tuple[list[str], Notice | None]:
    """Change a planned interview. Returns the fields that changed, and the notice sent to
    the candidate when something they read changed (None when nothing did)."""
    application = interview.application
    _schedulable(application)
    _check(plan, application.organisation, now, off_hours_confirmed=off_hours_confirmed)
    with transaction.atomic():
        current = Interview.objects.select_for_update().get(pk=interview.pk)
        if current.status != Interview.Status.SCHEDULED:
            raise Refused("not_scheduled", f"the interview is {current.status}")
        after = {
            "at": plan.at, "minutes": plan.minutes, "interviewer_id":
            plan.interviewer.pk if plan.interviewer else None, "place": plan.place.strip(),
            "video_url": plan.video_url,
        }  # fmt: skip
        changed = [name for name, value in after.items() if getattr(current, name) != value]
        if not changed:
            return [], None
        previous_at = current.at
        for name in changed:
            setattr(current, name, after[name])
        current.save(update_fields=[n.removesuffix("_id") for n in changed])
        rights.audit(
            application.candidate, actor, AuditEntry.Action.CHANGED, now,
            job=application.job_id, interview=current.pk,
            rescheduled=[previous_at.isoformat(), current.at.isoformat()],
            changed=[n.removesuffix("_id") for n in changed],
        )  # fmt: skip
        notice = _notify(
            current, "rescheduled", actor, now,
            previous_at=previous_at if current.at != previous_at else None,
        )  # fmt: skip
    interview.refresh_from_db()
    return [n.removesuffix("_id") for n in changed], notice


def cancel(interview: Interview, actor: Recruiter | None, now: datetime) -> Notice | None:
    """Cancel a planned interview. One still to come is cancelled with a short notice to
    the candidate (None: an interview whose time has passed — it did not take place —
    leaves no e-mail)."""
    application = interview.application
    with transaction.atomic():
        done = Interview.objects.filter(pk=interview.pk, status=Interview.Status.SCHEDULED).update(
            status=Interview.Status.CANCELLED
        )
        if not done:
            raise Refused("not_scheduled", "the interview is not planned any more")
        interview.status = Interview.Status.CANCELLED
        rights.audit(
            application.candidate, actor, AuditEntry.Action.CHANGED, now,
            job=application.job_id, interview=interview.pk, cancelled=True,
        )  # fmt: skip
        if interview.at <= now:
            return None
        return _notify(interview, "cancelled", actor, now)


def took_place(interview: Interview, actor: Recruiter | None, now: datetime) -> Interview:
    """The recruiter says the interview took place: an `interview` event at its time, so
    that the feedback deadline starts (the same or the next working day)."""
    if interview.at > now:
        raise Refused("not_yet", "the interview has not started yet")
    with transaction.atomic():
        done = Interview.objects.filter(pk=interview.pk, status=Interview.Status.SCHEDULED).update(
            status=Interview.Status.DONE
        )
        if not done:
            raise Refused("not_scheduled", "the interview is not planned any more")
        interview.status = Interview.Status.DONE
        _interview_event(interview, actor, now)
    return interview


def record_past(
    application: Application, plan: Plan, actor: Recruiter | None, now: datetime
) -> Interview:
    """An interview that took place without being planned here: recorded as done, and the
    feedback deadline starts from its time. No e-mail (it is over)."""
    organisation = application.organisation
    if not application.is_active:
        raise Refused(
            "application_ended",
            f"the application ended ({application.stage})",
            stage=application.stage,
        )
    _check(plan, organisation, now, past=True)
    with transaction.atomic():
        _to_interview_stage(application, actor, now)
        interview = Interview.objects.create(
            organisation=organisation, application=application, at=plan.at,
            minutes=plan.minutes, interviewer=plan.interviewer, place=plan.place.strip(),
            video_url=plan.video_url, created_at=now, status=Interview.Status.DONE,
        )  # fmt: skip
        _interview_event(interview, actor, now)
    return interview


def _interview_event(interview: Interview, actor: Recruiter | None, now: datetime) -> None:
    application = interview.application
    event = Event(
        EventType.INTERVIEW,
        interview.at,
        application.candidate,
        recruiter=actor,
        job=application.job,
    )
    record_event(event, now)
    rights.audit(
        application.candidate, actor, AuditEntry.Action.CHANGED, now,
        job=application.job_id, interview=interview.pk, took_place=interview.at.isoformat(),
    )  # fmt: skip


def _notify(
    interview: Interview,
    kind: str,
    actor: Recruiter | None,
    now: datetime,
    previous_at: datetime | None = None,
) -> Notice:
    """Write the interview's e-mail (`kind`: confirmation, rescheduled, cancelled) to the
    outbox, in the caller's transaction; a notice answers the confirmation (same thread).
    Not written to someone without a working address or who asked never to be contacted,
    nor when the organisation's template cannot be written: the recruiter is told."""
    application = interview.application
    candidate = application.candidate
    if candidate.do_not_contact_at is not None:
        return Notice(False, "do_not_contact")
    if not candidate.email:
        return Notice(False, "no_email")
    if candidate.email_bounced_at is not None:
        return Notice(False, "bounced")
    organisation = application.organisation
    interviewer = interview.interviewer
    values = compose.interview_values(
        at=interview.at, minutes=interview.minutes,
        interviewer=(interviewer.get_full_name() or interviewer.email) if interviewer else "",
        place=interview.place, video_url=interview.video_url, candidate=candidate,
        organisation_zone=organisation.timezone, previous_at=previous_at,
    )  # fmt: skip
    variables = compose.context(
        organisation=organisation, candidate=candidate, recruiter=actor,
        job=application.job, previous=None, interview=values,
    )  # fmt: skip
    name = TEMPLATES[kind]
    earlier = list(
        OutboxMessage.objects.filter(
            candidate=candidate,
            message_id__startswith=f"<relance.{organisation.pk}.iv.{interview.pk}.",
        )
        .order_by("pk")
        .values_list("message_id", flat=True)
    )
    try:
        rendered = compose.compose(organisation, name, candidate.language, variables)
        with transaction.atomic():
            outbox.write_single(
                candidate, actor, f"interview_{kind}", rendered,
                compose.message_id(organisation.pk, "iv", interview.pk, len(earlier)), now,
                in_reply_to=earlier[0] if earlier else "", references=" ".join(earlier),
            )  # fmt: skip
    except (TemplateProblem, Unsendable) as problem:
        log.warning("interview %s: no %s written: %s", interview.pk, kind, problem)
        return Notice(False, "template", str(problem))
    return Notice(True)
