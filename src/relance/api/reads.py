"""The agenda with its reasons, pools, segments (with their count), campaigns (read,
schedule) and consents: the key's organisation only, read through the same functions as
the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Query, Schema
from pydantic import AwareDatetime

from relance import clock
from relance.api import cursor
from relance.api.main import api
from relance.api.resources import ERRORS, WRITE_ERRORS, _one, key_of
from relance.errors import InputError
from relance.followups import agenda
from relance.people.models import Candidate, Consent, Recruiter
from relance.pools import campaigns, segments
from relance.pools.models import Campaign, Pool, Segment

CursorQ = Query(None, alias="cursor", max_length=40)
Limit = Query(50, ge=1, le=200)


def _language() -> str:
    return "fr" if (get_language() or "").startswith("fr") else "en"


# --- the agenda ----------------------------------------------------------------------------


class AgendaItem(Schema):
    thread: int
    due_at: str
    deadline_at: str | None
    overdue: bool
    candidate: dict[str, Any]
    stage: str
    job: str
    situation: str
    step: int | None
    channel: str | None
    kind: str
    reason: str
    waiting_for: str | None
    why: str = Field(..., description="the engine's reason, in the request's language")
    recruiter: str


@api.get("/agenda", response={200: list[AgendaItem], **ERRORS}, tags=["agenda"])
def get_agenda(
    request: HttpRequest,
    recruiter: int | None = Query(None, ge=1, le=cursor.MAX_ID, description="one recruiter's"),
    limit: int = Query(50, ge=1, le=500),
) -> Any:
    """What needs attention by the end of today, in priority order, each with why."""
    org = key_of(request).organisation
    now = clock.now()
    who = Recruiter.objects.filter(organisation=org, pk=recruiter).first() if recruiter else None
    if recruiter and who is None:
        return []
    rows = agenda.items(org, agenda.end_of_day(now, org), now, who, limit)
    return [row.as_json(_language()) for row in rows]


# --- pools and segments --------------------------------------------------------------------


class PoolOut(Schema):
    id: int
    name: str
    description: str
    members: int
    created_at: datetime


class PoolPage(Schema):
    items: list[PoolOut]
    next_cursor: str | None


@api.get("/pools", response={200: PoolPage, **ERRORS}, tags=["pools"])
def list_pools(request: HttpRequest, cursor_: str | None = CursorQ, limit: int = Limit) -> Any:
    from django.db.models import Count

    rows = Pool.objects.filter(organisation=key_of(request).organisation).annotate(
        n=Count("members")
    )
    found, following = cursor.page(rows, cursor_, limit)
    items = [
        {"id": p.pk, "name": p.name, "description": p.description, "members": p.n,
         "created_at": p.created_at}
        for p in found
    ]  # fmt: skip
    return {"items": items, "next_cursor": following}


class PoolMembers(Schema):
    items: list[int] = Field(..., description="candidate ids")
    next_cursor: str | None


@api.get("/pools/{pool_id}/members", response={200: PoolMembers, **ERRORS}, tags=["pools"])
def pool_members(
    request: HttpRequest, pool_id: int, cursor_: str | None = CursorQ, limit: int = Limit
) -> Any:
    pool = _one(Pool.objects, request, pool_id)
    found, following = cursor.page(pool.members.all(), cursor_, limit)
    return {"items": [m.candidate_id for m in found], "next_cursor": following}


class SegmentOut(Schema):
    id: int
    name: str
    definition: dict[str, Any]
    created_at: datetime


class SegmentPage(Schema):
    items: list[SegmentOut]
    next_cursor: str | None


def segment_json(s: Segment) -> dict[str, Any]:
    return {"id": s.pk, "name": s.name, "definition": s.definition, "created_at": s.created_at}


@api.get("/segments", response={200: SegmentPage, **ERRORS}, tags=["segments"])
def list_segments(request: HttpRequest, cursor_: str | None = CursorQ, limit: int = Limit) -> Any:
    rows = Segment.objects.filter(organisation=key_of(request).organisation)
    found, following = cursor.page(rows, cursor_, limit)
    return {"items": [segment_json(s) for s in found], "next_cursor": following}


class SegmentCount(Schema):
    id: int
    count: int = Field(..., description="candidates in the segment now")


@api.get("/segments/{segment_id}/count", response={200: SegmentCount, **ERRORS},
         tags=["segments"])  # fmt: skip
def count_segment(request: HttpRequest, segment_id: int) -> Any:
    segment = _one(Segment.objects, request, segment_id)
    try:
        rows = segments.evaluate(segment.organisation, segment.definition, clock.now())
        return {"id": segment.pk, "count": rows.count()}
    except segments.SegmentError as error:
        raise InputError(f"definition: {error}") from None


# --- campaigns -----------------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    name: str
    topic: str
    segment: int | None
    job: int | None
    status: str
    scheduled_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    written: int
    excluded: dict[str, int]


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


def campaign_json(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.pk, "name": c.name, "topic": c.topic, "segment": c.segment_id, "job": c.job_id,
        "status": c.status, "scheduled_at": c.scheduled_at, "created_at": c.created_at,
        "finished_at": c.finished_at, "written": c.written,
        "excluded": {str(k): int(v) for k, v in (c.excluded or {}).items()},
    }  # fmt: skip


@api.get("/campaigns", response={200: CampaignPage, **ERRORS}, tags=["campaigns"])
def list_campaigns(
    request: HttpRequest,
    status: Literal[tuple(Campaign.Status.values)] | None = None,  # type: ignore[valid-type]
    cursor_: str | None = CursorQ,
    limit: int = Limit,
) -> Any:
    rows = Campaign.objects.filter(organisation=key_of(request).organisation)
    if status:
        rows = rows.filter(status=status)
    found, following = cursor.page(rows, cursor_, limit)
    return {"items": [campaign_json(c) for c in found], "next_cursor": following}


@api.get("/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS}, tags=["campaigns"])
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    return campaign_json(_one(Campaign.objects, request, campaign_id))


class ScheduleIn(Schema):
    at: AwareDatetime | None = Field(None, description="when to start (default: now)")


@api.post(
    "/campaigns/{campaign_id}/schedule",
    response={200: CampaignOut, **WRITE_ERRORS},
    tags=["campaigns"],
)
def schedule_campaign(request: HttpRequest, campaign_id: int, payload: ScheduleIn) -> Any:
    """Fix the segment as it is now and schedule the campaign (the same checks as the page:
    refused for an empty segment, or one where nobody may receive it)."""
    campaign = _one(Campaign.objects.select_related("segment"), request, campaign_id)
    now = clock.now()
    try:
        campaigns.schedule(campaign, payload.at or now, now)
    except (campaigns.CampaignError, segments.SegmentError) as error:
        raise InputError(f"campaign: {error}") from None
    return campaign_json(campaign)


# --- consents ------------------------------------------------------------------------------


class ConsentOut(Schema):
    id: int
    candidate: int
    purpose: str
    given_at: datetime
    method: str
    version: str
    language: str
    withdrawn_at: datetime | None


class ConsentPage(Schema):
    items: list[ConsentOut]
    next_cursor: str | None


@api.get("/consents", response={200: ConsentPage, **ERRORS}, tags=["consents"])
def list_consents(
    request: HttpRequest,
    candidate: int | None = Query(None, ge=1, le=cursor.MAX_ID),
    cursor_: str | None = CursorQ,
    limit: int = Limit,
) -> Any:
    """Consents given (and withdrawn), with when and how; the wording shown is on the
    candidate's page and in their export."""
    org = key_of(request).organisation
    rows = Consent.objects.filter(organisation=org)
    if candidate:
        if not Candidate.objects.filter(organisation=org, pk=candidate).exists():
            rows = rows.none()
        rows = rows.filter(candidate_id=candidate)
    found, following = cursor.page(rows, cursor_, limit)
    items = [
        {"id": c.pk, "candidate": c.candidate_id, "purpose": c.purpose, "given_at": c.given_at,
         "method": c.method, "version": c.version, "language": c.language,
         "withdrawn_at": c.withdrawn_at}
        for c in found
    ]  # fmt: skip
    return {"items": items, "next_cursor": following}
