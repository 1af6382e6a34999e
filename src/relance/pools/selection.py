"""A selection of candidates (the job page's matches a recruiter ticked): who of them may
receive a job now, and the draft campaign that sends it to them.

Both go through the campaigns' own rules (`campaigns.annotated`): the reasons a person
may not be sent a job are exactly a campaign's exclusions (docs/pools.md), worked out in
one query for the whole selection. The campaign is a draft: the recruiter previews it on
the campaign's page, edits its texts and schedules it; it is checked again when it is
scheduled and when each message leaves, as every campaign is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _

from relance.people.models import Job, Organisation, Recruiter
from relance.pools import campaigns, segments
from relance.pools.models import Campaign, Topic


def definition_of(candidate_ids: Iterable[int]) -> dict[str, object]:
    """The segment of exactly these people (refused beyond segments.MAX_IDS)."""
    return {"field": "candidates", "ids": sorted(set(candidate_ids))}


def contactability(
    organisation: Organisation,
    candidate_ids: Iterable[int],
    topic: str,
    now: datetime,
    job: Job | int | None = None,
) -> dict[int, str]:
    """Per candidate of the organisation: '' when the message of this topic (about this
    job) may go now, else the first reason it may not (campaigns.REASONS). One query per
    MAX_IDS people; another organisation's ids, and erased people, are not in the answer."""
    ids = sorted(set(candidate_ids))
    out: dict[int, str] = {}
    for start in range(0, len(ids), segments.MAX_IDS):
        chunk = definition_of(ids[start : start + segments.MAX_IDS])
        rows = campaigns.annotated(organisation, chunk, topic, now, job)
        out.update(rows.order_by().values_list("pk", "exclusion"))
    return out


def campaign_for_selection(
    organisation: Organisation,
    job: Job,
    candidate_ids: Iterable[int],
    actor: Recruiter | None,
    now: datetime,
) -> Campaign:
    """A draft job-offer campaign of this job to these people, named after the job and
    the day, with the built-in job-offer texts. Raises segments.SegmentError for an empty
    selection or one of more than MAX_IDS people, ValueError for another organisation's
    job."""
    if job.organisation_id != organisation.pk:
        raise ValueError(f"job {job.pk} is not of organisation {organisation.pk}")
    definition = definition_of(candidate_ids)
    segments.check(organisation, definition, now)
    day = now.astimezone(ZoneInfo(organisation.timezone)).date()
    name = _("%(job)s — selection of %(day)s") % {
        "job": job.title,
        "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
    }
    return Campaign.objects.create(
        organisation=organisation,
        name=name[:200],
        topic=Topic.JOB_OFFERS,
        definition=definition,
        job=job,
        created_by=actor,
        created_at=now,
        status=Campaign.Status.DRAFT,
        **campaigns.default_texts(),
    )
