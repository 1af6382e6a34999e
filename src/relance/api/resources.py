"""Candidates, jobs, applications and events. Each endpoint reads or changes the key's
organisation only (another organisation's id is a 404) and goes through the services the
pages use; the key's creator is the actor the audit log names."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models.functions import Lower
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status
from ninja.errors import ValidationError
from pydantic import AwareDatetime

from relance import clock
from relance.api import cursor
from relance.api.main import api
from relance.api.models import ApiKey
from relance.engine import Channel, Situation
from relance.errors import InputError
from relance.followups import interviews, pipeline
from relance.followups.events import Event, EventType
from relance.followups.models import Thread
from relance.followups.services import record_event
from relance.people import candidates, jobs
from relance.people.models import Application, Candidate, Job, Recruiter, Source

Stage = Literal[
    "sourced", "contacted", "replied", "applied", "screening", "interview", "final", "offer",
    "hired", "rejected", "withdrawn",
]  # fmt: skip
ChannelName = Literal["email", "sms", "linkedin", "phone"]
Limit = Query(50, ge=1, le=200, description="rows per page (1 to 200)")
CursorQ = Query(None, max_length=40, description="next_cursor of the previous page")


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, str]] | None = None


ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: Problem}


def key_of(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _one(rows: Any, request: HttpRequest, pk: int) -> Any:
    if not 0 < pk <= cursor.MAX_ID:
        raise Http404
    found = rows.filter(organisation=key_of(request).organisation, pk=pk).first()
    if found is None:
        raise Http404
    return found


def _actor(request: HttpRequest) -> Recruiter | None:
    return key_of(request).created_by


# --- candidates --------------------------------------------------------------------------


class CandidateOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    linkedin_url: str
    language: str
    timezone: str
    country: str
    location: str
    source: str
    stars: int
    tags: list[str]
    skills: list[str]
    years_experience: int | None
    seniority: str
    desired_role: str
    company: str
    interests: list[str]
    hook: str
    preferred_channel: str
    owner: int | None
    unsubscribed: bool
    do_not_contact: bool
    created_at: datetime


# What candidate_json works out itself; the rest are the model's own columns. (Asking the
# model for `owner` fetched each owner: 50 queries for a page of 50.)
_COMPUTED = {"owner", "unsubscribed", "do_not_contact"}


def candidate_json(c: Candidate) -> dict[str, Any]:
    return {
        **{f: getattr(c, f) for f in CandidateOut.model_fields if f not in _COMPUTED},
        "owner": c.owner_id,
        "unsubscribed": c.unsubscribed_at is not None,
        "do_not_contact": c.do_not_contact_at is not None,
    }


class CandidateIn(Schema):
    """The fields to write; a field left out keeps its value (its default when creating)."""

    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    linkedin_url: str | None = Field(None, max_length=300)
    language: Literal["fr", "en"] | None = None
    timezone: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=2)
    location: str | None = Field(None, max_length=120)
    source: Literal[tuple(Source.values)] | None = None  # type: ignore[valid-type]
    stars: int | None = Field(None, ge=0, le=3)
    tags: list[str] | None = Field(None, max_length=30)
    skills: list[str] | None = Field(None, max_length=50)
    years_experience: int | None = Field(None, ge=0, le=70)
    seniority: str | None = Field(None, max_length=16)
    desired_role: str | None = Field(None, max_length=200)
    company: str | None = Field(None, max_length=200)
    interests: list[str] | None = Field(None, max_length=50)
    hook: str | None = Field(None, max_length=300)
    preferred_channel: ChannelName | None = None
    owner: int | None = Field(None, ge=1, le=cursor.MAX_ID)


def _typed(payload: CandidateIn) -> dict[str, Any]:
    """What was sent, as the service reads a form: text, or a list for the list fields."""
    data: dict[str, Any] = {}
    for name, value in payload.model_dump(exclude_unset=True).items():
        data[name] = value if isinstance(value, list) else ("" if value is None else str(value))
    return data


class CandidateNew(CandidateIn):
    """A new candidate: a first name and where they come from, at least."""

    first_name: str = Field(..., min_length=1, max_length=100)  # type: ignore[assignment]
    source: Literal[tuple(Source.values)]  # type: ignore[valid-type]


class CandidatePage(Schema):
    items: list[CandidateOut]
    next_cursor: str | None


@api.get("/candidates", response={200: CandidatePage, **ERRORS}, tags=["candidates"])
def list_candidates(
    request: HttpRequest,
    email: str | None = Query(None, max_length=254, description="exact, any case"),
    source: Literal[tuple(Source.values)] | None = None,  # type: ignore[valid-type]
    stars_min: int | None = Query(None, ge=0, le=3),
    owner: int | None = Query(None, ge=1, le=cursor.MAX_ID),
    tag: str | None = Query(None, max_length=40, description="carries this tag, any case"),
    cursor_: str | None = Query(None, alias="cursor", max_length=40),
    limit: int = Limit,
) -> Any:
    """The organisation's candidates, newest first, a page at a time."""
    rows = Candidate.objects.of(key_of(request).organisation)
    if email:
        rows = rows.alias(email_lower=Lower("email")).filter(email_lower=email.lower())
    if source:
        rows = rows.filter(source=source)
    if stars_min:
        rows = rows.filter(stars__gte=stars_min)
    if owner:
        rows = rows.filter(owner_id=owner)
    if tag and tag.strip():
        rows = candidates.with_tag(rows, tag)  # the same query as the list page's filter
    found, following = cursor.page(rows, cursor_, limit)
    return {"items": [candidate_json(c) for c in found], "next_cursor": following}


@api.get("/candidates/{candidate_id}", response={200: CandidateOut, **ERRORS}, tags=["candidates"])
def get_candidate(request: HttpRequest, candidate_id: int) -> Any:
    return candidate_json(_one(Candidate.objects, request, candidate_id))


@api.post("/candidates", response={201: CandidateOut, **WRITE_ERRORS}, tags=["candidates"])
def create_candidate(request: HttpRequest, payload: CandidateNew) -> Any:
    """Add a candidate (same checks as the page: contact details normalised, a duplicate
    e-mail refused naming the person who has it)."""
    key = key_of(request)
    person = candidates.create(key.organisation, _typed(payload), _actor(request), clock.now())
    return Status(201, candidate_json(person))


@api.patch(
    "/candidates/{candidate_id}", response={200: CandidateOut, **WRITE_ERRORS}, tags=["candidates"]
)
def update_candidate(request: HttpRequest, candidate_id: int, payload: CandidateIn) -> Any:
    person = _one(Candidate.objects, request, candidate_id)
    candidates.update(person, _typed(payload), _actor(request), clock.now(), via="api")
    return candidate_json(person)


# --- jobs --------------------------------------------------------------------------------


class JobOut(Schema):
    id: int
    title: str
    description: str
    client: str
    location: str
    contract: str
    family: str
    owner: int | None
    status: str
    created_at: datetime
    closed_at: datetime | None


def job_json(job: Job) -> dict[str, Any]:
    return {
        **{f: getattr(job, f) for f in JobOut.model_fields if f != "owner"},
        "owner": job.owner_id,
    }


class JobPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=50_000)
    client: str | None = Field(None, max_length=200)
    location: str | None = Field(None, max_length=120)
    contract: Literal[("", *Job.Contract.values)] | None = None  # type: ignore[valid-type]
    family: str | None = Field(None, max_length=120)
    owner: int | None = Field(None, ge=1, le=cursor.MAX_ID)


class JobIn(JobPatch):
    title: str = Field(..., min_length=1, max_length=200)  # type: ignore[assignment]


class JobPage(Schema):
    items: list[JobOut]
    next_cursor: str | None


def _job_fields(request: HttpRequest, given: dict[str, Any], job: Job | None) -> jobs.JobFields:
    values: dict[str, Any] = {}
    if job is not None:
        values = {
            "title": job.title, "description": job.description, "client": job.client,
            "location": job.location, "contract": job.contract, "family": job.family,
            "owner": job.owner,
        }  # fmt: skip
    for name, value in given.items():
        if name == "owner":
            owner = None
            if value is not None:
                owner = Recruiter.objects.filter(
                    organisation=key_of(request).organisation, pk=value
                ).first()
                if owner is None:
                    raise InputError(
                        "owner: "
                        + _("%(id)s is not a recruiter of your organisation.") % {"id": value}
                    )
            values["owner"] = owner
        else:
            values[name] = value if value is not None else ""
    return jobs.JobFields(**values)


@api.get("/jobs", response={200: JobPage, **ERRORS}, tags=["jobs"])
def list_jobs(
    request: HttpRequest,
    status: Literal["open", "closed"] | None = None,
    cursor_: str | None = Query(None, alias="cursor", max_length=40),
    limit: int = Limit,
) -> Any:
    rows = Job.objects.filter(organisation=key_of(request).organisation)
    if status:
        rows = rows.filter(status=status)
    found, following = cursor.page(rows, cursor_, limit)
    return {"items": [job_json(j) for j in found], "next_cursor": following}


@api.get("/jobs/{job_id}", response={200: JobOut, **ERRORS}, tags=["jobs"])
def get_job(request: HttpRequest, job_id: int) -> Any:
    return job_json(_one(Job.objects, request, job_id))


@api.post("/jobs", response={201: JobOut, **WRITE_ERRORS}, tags=["jobs"])
def create_job(request: HttpRequest, payload: JobIn) -> Any:
    key = key_of(request)
    values = _job_fields(request, payload.model_dump(exclude_unset=True), None)
    job = jobs.create(key.organisation, values, _actor(request), clock.now())
    return Status(201, job_json(job))


@api.patch("/jobs/{job_id}", response={200: JobOut, **WRITE_ERRORS}, tags=["jobs"])
def update_job(request: HttpRequest, job_id: int, payload: JobPatch) -> Any:
    job = _one(Job.objects, request, job_id)
    values = _job_fields(request, payload.model_dump(exclude_unset=True), job)
    jobs.change(job, values, _actor(request), clock.now())
    job.refresh_from_db()
    return job_json(job)


@api.post("/jobs/{job_id}/close", response={200: JobOut, **WRITE_ERRORS}, tags=["jobs"])
def close_job(request: HttpRequest, job_id: int) -> Any:
    """Close the job: it takes no one new; its candidates' follow-ups run on."""
    job = _one(Job.objects, request, job_id)
    jobs.close(job, _actor(request), clock.now())
    return job_json(job)


@api.post("/jobs/{job_id}/reopen", response={200: JobOut, **WRITE_ERRORS}, tags=["jobs"])
def reopen_job(request: HttpRequest, job_id: int) -> Any:
    job = _one(Job.objects, request, job_id)
    jobs.reopen(job, _actor(request), clock.now())
    return job_json(job)


# --- applications ------------------------------------------------------------------------


class ApplicationOut(Schema):
    id: int
    candidate: int
    job: int
    stage: str
    stage_changed_at: datetime
    applied_at: datetime | None


def application_json(a: Application) -> dict[str, Any]:
    return {
        "id": a.pk, "candidate": a.candidate_id, "job": a.job_id, "stage": a.stage,
        "stage_changed_at": a.stage_changed_at, "applied_at": a.applied_at,
    }  # fmt: skip


class ApplicationIn(Schema):
    candidate: int = Field(..., ge=1, le=cursor.MAX_ID)
    job: int = Field(..., ge=1, le=cursor.MAX_ID)
    stage: Stage = Field("sourced", description="where they start (sourced … offer)")
    applied: bool = Field(
        False, description="they applied: the acknowledgement leaves, follow-ups start"
    )


class StageIn(Schema):
    stage: Stage
    confirmed: bool = Field(False, description="needed to move back to an earlier stage")


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    next_cursor: str | None


@api.get("/applications", response={200: ApplicationPage, **ERRORS}, tags=["applications"])
def list_applications(
    request: HttpRequest,
    candidate: int | None = Query(None, ge=1, le=cursor.MAX_ID),
    job: int | None = Query(None, ge=1, le=cursor.MAX_ID),
    cursor_: str | None = Query(None, alias="cursor", max_length=40),
    limit: int = Limit,
) -> Any:
    rows = Application.objects.filter(organisation=key_of(request).organisation)
    if candidate:
        rows = rows.filter(candidate_id=candidate)
    if job:
        rows = rows.filter(job_id=job)
    found, following = cursor.page(rows, cursor_, limit)
    return {"items": [application_json(a) for a in found], "next_cursor": following}


@api.post("/applications", response={201: ApplicationOut, **WRITE_ERRORS}, tags=["applications"])
def create_application(request: HttpRequest, payload: ApplicationIn) -> Any:
    person = _one(Candidate.objects, request, payload.candidate)
    job = _one(Job.objects, request, payload.job)
    now = clock.now()
    if payload.applied:
        done = pipeline.applied(person, job, _actor(request), now)
    else:
        done = pipeline.add(person, job, payload.stage, _actor(request), now)
    return Status(201, application_json(done.application))


@api.post(
    "/applications/{application_id}/stage",
    response={200: ApplicationOut, **WRITE_ERRORS},
    tags=["applications"],
)
def change_stage(request: HttpRequest, application_id: int, payload: StageIn) -> Any:
    """A stage change: follow-ups chasing an answer stop; hired and withdrawn end them all;
    rejected starts the rejection. Going back needs `confirmed`."""
    application = _one(
        Application.objects.select_related("job", "candidate"), request, application_id
    )
    done = pipeline.move(
        application, payload.stage, _actor(request), clock.now(), confirmed=payload.confirmed
    )
    return application_json(done.application)


# --- events ------------------------------------------------------------------------------


class EventIn(Schema):
    """Something that happened elsewhere (the ATS, a phone): recorded as on the pages, so
    every hard rule holds — an answered call or a reply stops every follow-up chasing an
    answer."""

    candidate: int = Field(..., ge=1, le=cursor.MAX_ID)
    type: Literal["reply", "call", "message_sent", "interview", "note"]
    channel: ChannelName | None = Field(None, description="reply, message_sent")
    outcome: Literal["answered", "voicemail", "no_answer"] | None = Field(
        None, description="call: required"
    )
    direction: Literal["in", "out"] = Field("out", description="call: who called")
    situation: Literal["first_message", "keep_in_touch"] | None = Field(
        None, description="message_sent: the follow-ups it starts (none if left out)"
    )
    job: int | None = Field(None, ge=1, le=cursor.MAX_ID, description="interview: required")
    at: AwareDatetime | None = Field(
        None, description="when it happened (interview: when it takes or took place)"
    )
    minutes: int = Field(60, ge=5, le=600, description="interview: its length")
    subject: str = Field("", max_length=300)
    body: str = Field("", max_length=5000)


class EventOut(Schema):
    candidate: int
    type: str
    stopped: int = Field(..., description="follow-ups this event stopped")
    started: list[str] = Field(..., description="situations it started")
    interview: int | None = None


def _missing(field: str) -> Exception:
    return ValidationError([{"type": "missing", "loc": ("body", "payload", field)}])


@api.post("/events", response={201: EventOut, **WRITE_ERRORS}, tags=["events"])
def record(request: HttpRequest, payload: EventIn) -> Any:
    person = _one(Candidate.objects, request, payload.candidate)
    actor = _actor(request)
    now = clock.now()
    at = payload.at or now
    if payload.type != "interview" and at > now:
        raise InputError("at: " + _("it has not happened yet: a date in the past, or nothing."))
    if payload.type == "interview":
        if payload.job is None:
            raise _missing("job")
        if payload.at is None:
            raise _missing("at")
        job = _one(Job.objects, request, payload.job)
        application = Application.objects.filter(candidate=person, job=job).first()
        if application is None:
            raise pipeline.Refused("no_application", "the candidate is not on this job")
        plan = interviews.Plan(at=payload.at, minutes=payload.minutes, interviewer=actor)
        if payload.at <= now:
            meeting = interviews.record_past(application, plan, actor, now)
        else:
            meeting, _notice = interviews.schedule(application, plan, actor, now)
        return Status(201, {"candidate": person.pk, "type": payload.type, "stopped": 0,
                     "started": [], "interview": meeting.pk})  # fmt: skip
    event = Event(type=EventType.NOTE, at=at, candidate=person, recruiter=actor)
    if payload.type == "reply":
        event.type, event.channel = EventType.REPLY_RECEIVED, Channel(payload.channel or "email")
        event.body = payload.body
    elif payload.type == "call":
        if payload.outcome is None:
            raise _missing("outcome")
        event.type, event.outcome, event.direction = (
            EventType.CALL,
            payload.outcome,
            payload.direction,
        )
    elif payload.type == "message_sent":
        event.type = EventType.MESSAGE_SENT
        event.channel = Channel(payload.channel or "email")
        event.situation = Situation(payload.situation) if payload.situation else None
        event.subject, event.body = payload.subject, payload.body
    else:
        event.body = payload.body
    effects = record_event(event, now)
    return Status(
        201,
        {
            "candidate": person.pk,
            "type": payload.type,
            "stopped": sum(1 for e in effects if e.kind == "stop"),
            "started": [e.situation for e in effects if e.kind == "start" and e.situation],
        },
    )


# --- threads -----------------------------------------------------------------------------


class ThreadOut(Schema):
    id: int
    candidate: int
    situation: str
    status: str
    started_at: datetime
    stopped_at: datetime | None
    next_step: int | None
    next_channel: str
    due_at: datetime | None
    reason: str
    why: str


class ThreadPage(Schema):
    items: list[ThreadOut]
    next_cursor: str | None


def thread_json(t: Thread, language: str) -> dict[str, Any]:
    from relance.engine.reasons import sentence

    code = t.reason if t.status == Thread.Status.STOPPED or not t.delay_reason else t.delay_reason
    return {
        "id": t.pk, "candidate": t.candidate_id, "situation": t.situation, "status": t.status,
        "started_at": t.started_at, "stopped_at": t.stopped_at, "next_step": t.next_step,
        "next_channel": t.next_channel, "due_at": t.due_at, "reason": t.reason,
        "why": sentence(code, language, dict(t.reason_params)) if code else "",
    }  # fmt: skip


@api.get("/threads", response={200: ThreadPage, **ERRORS}, tags=["threads"])
def list_threads(
    request: HttpRequest,
    candidate: int | None = Query(None, ge=1, le=cursor.MAX_ID),
    status: Literal["open", "stopped"] | None = None,
    cursor_: str | None = Query(None, alias="cursor", max_length=40),
    limit: int = Limit,
) -> Any:
    """Follow-up threads with their next step and why, in the reader's language."""
    from django.utils.translation import get_language

    rows = Thread.objects.filter(organisation=key_of(request).organisation)
    if candidate:
        rows = rows.filter(candidate_id=candidate)
    if status:
        rows = rows.filter(status=status)
    found, following = cursor.page(rows, cursor_, limit)
    language = "fr" if (get_language() or "").startswith("fr") else "en"
    return {"items": [thread_json(t, language) for t in found], "next_cursor": following}
