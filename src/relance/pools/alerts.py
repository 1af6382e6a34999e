"""Job alerts: the people who consented to job alerts receive, at the rhythm they chose in
the preference centre (weekly or monthly), one digest of the open jobs that match them.

Which jobs: the open jobs opened (created, or reopened) since the person's last digest —
within the last 30 days when they never had one — that match them at or above the
organisation's threshold (matching.rank, computed once per job per run), at most five,
best first; never a job they are already on (an application), never a closed one.

Who: everyone a job-offers campaign may reach now (campaigns.annotated, the same reasons
and the same codes: do-not-contact, unsubscribed, bounced, no e-mail, ended, no consent,
rhythm "never", a job-offers message too recent for their rhythm, the pressure cap), not
in an active process with us (`in_process`: an application not ended), and
only while their sending window is open (working days, 08:00–19:00 their time), so that a
digest leaves minutes after it is written.

A digest is an outbox row of topic job_offers (it counts in the rhythm and in the cap like
any campaign message). Its Message-ID says whose digest it is, for which period (the
Monday of the week, or the first day of the month, of the rhythm) and which jobs:
`<relance.{org}.alert.{candidate}.{period}.{job}….{random}@…>`; a period's digest is
written once (looked for under the candidate's lock before writing). When it is about to
leave, the outbox checks it again like a campaign message (pools/recheck.py): consent
withdrawn, unsubscribed, over the cap… it is cancelled with the reason; and if one of its
jobs has closed since, it is cancelled too ("job_closed") and the next run writes a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse

from relance import french
from relance.engine import Purpose, Stage, calendar
from relance.errors import InputError
from relance.followups.steps import lock_candidates
from relance.messaging import compose, senders
from relance.messaging.models import OutboxMessage
from relance.messaging.render import Source, render
from relance.people.models import (
    Application,
    AuditEntry,
    Candidate,
    Consent,
    Job,
    Organisation,
)
from relance.pools import campaigns, links
from relance.pools.consent import DEFAULT
from relance.pools.models import Frequency, Topic

log = logging.getLogger(__name__)

REASON = "job_alert"
TOPIC = Topic.JOB_OFFERS
KIND = "alert"  # in the Message-ID
MAX_JOBS = 5
LOOKBACK = timedelta(days=30)
DEFAULT_THRESHOLD = 70
# How many of the best candidates a job's ranking hands over: the threshold keeps fewer.
RANK_LIMIT = 2000
BATCH = 200


@dataclass(frozen=True)
class Fit:
    """How a candidate matches a job: the score (0–100) and the requirements' concepts
    their CV shows."""

    score: int
    matched: tuple[str, ...] = ()


# The one seam: a job's matching candidates. The real one is matching.rank.
Ranking = Callable[[Organisation, Job], dict[int, Fit]]


def ranked_by_matching(organisation: Organisation, job: Job) -> dict[int, Fit]:
    from relance.matching import rank

    return {
        match.candidate: Fit(match.score.value, tuple(c for c, _ in match.score.matched))
        for match in rank.rank(organisation, job=job, limit=RANK_LIMIT)
    }


def threshold(organisation: Organisation) -> int:
    """The organisation's minimum match score for a job alert (0–100; 70 by default)."""
    try:
        from relance.matching.models import AlertSettings
    except ImportError:  # the setting's model is not there yet
        return DEFAULT_THRESHOLD
    value = (
        AlertSettings.objects.filter(organisation=organisation)
        .values_list("threshold", flat=True)
        .first()
    )
    return DEFAULT_THRESHOLD if value is None else int(value)


def set_threshold(organisation: Organisation, value: Any) -> int:
    """Set the organisation's minimum match score; InputError for anything but a whole
    number from 0 to 100 (nothing changed)."""
    from relance.matching.models import AlertSettings

    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if not 0 <= number <= 100 or str(value).strip().lstrip("+") != str(number):
        raise InputError(
            f"job alerts' minimum score {value!r}: expected a whole number from 0 to 100"
        )
    AlertSettings.objects.update_or_create(
        organisation=organisation, defaults={"threshold": number}
    )
    return number


@dataclass
class Digest:
    candidate: Candidate
    jobs: list[tuple[Job, Fit]]
    period: int  # YYYYMMDD: the Monday of the week, or the first day of the month


@dataclass
class Plan:
    digests: list[Digest] = field(default_factory=list)
    # People with matching jobs who get nothing now, with the reason (campaign codes, or
    # "sending_window").
    excluded: list[tuple[Candidate, str, list[tuple[Job, Fit]]]] = field(default_factory=list)
    written: int = 0


def opened_jobs(organisation: Organisation, since: datetime) -> list[Job]:
    """The organisation's open jobs opened (created or reopened) since then, each with
    `opened_at`."""
    reopened = (
        AuditEntry.objects.filter(job=OuterRef("pk"), action=AuditEntry.Action.JOB_REOPENED)
        .order_by()
        .values("job")
        .annotate(at=Max("at"))
        .values("at")[:1]
    )
    opened = Greatest(
        "created_at",
        Coalesce(Subquery(reopened), "created_at", output_field=DateTimeField()),
        output_field=DateTimeField(),
    )
    return list(
        Job.objects.of(organisation)
        .filter(status=Job.Status.OPEN)
        .annotate(opened_at=opened)
        .filter(opened_at__gte=since)
        .select_related("organisation")
        .order_by("pk")
    )


def due(now: datetime) -> bool:
    """Is there anything a run could send? One query: an open job opened in the last 30
    days, anywhere."""
    return opened_any(now - LOOKBACK)


def opened_any(since: datetime) -> bool:
    reopened = AuditEntry.objects.filter(
        job=OuterRef("pk"), action=AuditEntry.Action.JOB_REOPENED, at__gte=since
    )
    return bool(
        Job.objects.filter(status=Job.Status.OPEN)
        .filter(Q(created_at__gte=since) | Q(Exists(reopened)))
        .exists()
    )


def period_of(rhythm: str, day: date) -> int:
    start = (
        day - timedelta(days=day.weekday()) if rhythm == Frequency.WEEKLY else day.replace(day=1)
    )
    return start.year * 10000 + start.month * 100 + start.day


def plan(organisation: Organisation, now: datetime, ranking: Ranking | None = None) -> Plan:
    """Who would receive which jobs now, and who would not and why. Reads only."""
    ranking = ranking or ranked_by_matching
    out = Plan()
    consented = Consent.objects.filter(
        candidate__organisation=organisation,
        purpose=Purpose.JOB_ALERTS,
        withdrawn_at__isnull=True,
    )
    if not consented.exists():  # nobody to rank for: no ranking at all
        return out
    jobs = opened_jobs(organisation, now - LOOKBACK)
    if not jobs:
        return out
    minimum = threshold(organisation)
    fits: dict[int, list[tuple[Job, Fit]]] = {}
    for job in jobs:  # once per job, never per candidate
        for candidate_id, fit in ranking(organisation, job).items():
            if fit.score >= minimum:
                fits.setdefault(candidate_id, []).append((job, fit))
    if not fits:
        return out
    ids = sorted(fits)
    applied = set(
        Application.objects.filter(
            candidate_id__in=ids, job_id__in=[job.pk for job in jobs]
        ).values_list("candidate_id", "job_id")
    )
    last = dict(
        OutboxMessage.objects.filter(candidate_id__in=ids, reason=REASON)
        .exclude(status__in=[OutboxMessage.Status.CANCELLED, OutboxMessage.Status.FAILED])
        .order_by()
        .values("candidate_id")
        .annotate(at=Max("created_at"))
        .values_list("candidate_id", "at")
    )
    # In an active process with us (an application not ended): busy with us already, as
    # a job-offer campaign about another job would say (the same code).
    busy = set(
        Application.objects.filter(candidate_id__in=ids)
        .exclude(stage__in=[Stage.REJECTED, Stage.WITHDRAWN, Stage.HIRED])
        .values_list("candidate_id", flat=True)
    )
    policy = organisation.get_policy()
    people = (
        campaigns.annotated(organisation, {}, TOPIC, now)
        .filter(pk__in=ids)
        .select_related("owner", "organisation")
        .order_by("pk")
    )
    for person in people:
        since = last.get(person.pk, now - LOOKBACK)
        chosen = sorted(
            (
                (job, fit)
                for job, fit in fits[person.pk]
                if job.opened_at >= since and (person.pk, job.pk) not in applied
            ),
            key=lambda pair: (-pair[1].score, pair[0].pk),
        )[:MAX_JOBS]
        if not chosen:
            continue
        why = person.exclusion or ("in_process" if person.pk in busy else "")
        if why:
            out.excluded.append((person, why, chosen))
            continue
        opens, _ = calendar.next_open(now, person.timezone, person.country, policy.sending_window)
        if opens > now:
            out.excluded.append((person, "sending_window", chosen))
            continue
        rhythm = person.x_rhythm or DEFAULT[TOPIC]
        day = calendar.local(now, person.timezone).date()
        out.digests.append(Digest(person, chosen, period_of(rhythm, day)))
    return out


def run(
    organisation: Organisation,
    now: datetime,
    ranking: Ranking | None = None,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
) -> Plan:
    """Work out the digests and, unless `dry_run`, write them to the outbox, a batch per
    transaction: a crash loses at most the batch in hand, and the next run writes what is
    still owed (each period's digest once)."""
    seen = plan(organisation, now, ranking)
    if dry_run:
        return seen
    for start in range(0, len(seen.digests), batch):
        seen.written += write_batch(seen.digests[start : start + batch], now)
    return seen


def write_batch(digests: list[Digest], now: datetime) -> int:
    """Write these digests, under the candidates' locks, skipping any whose period's digest
    was already written (and not cancelled since). Returns how many were written."""
    if not digests:
        return 0
    with transaction.atomic():
        ids = sorted(d.candidate.pk for d in digests)
        lock_candidates(ids)
        written = {
            _key_of(message_id)
            for message_id in OutboxMessage.objects.filter(candidate_id__in=ids, reason=REASON)
            .exclude(status=OutboxMessage.Status.CANCELLED)
            .values_list("message_id", flat=True)
        }
        rows = [
            message(d, now)
            for d in digests
            if (d.candidate.organisation_id, d.candidate.pk, d.period) not in written
        ]
        OutboxMessage.objects.bulk_create(rows)
    return len(rows)


def _key_of(message_id: str) -> tuple[int, int, int] | None:
    """(organisation, candidate, period) of one of our digests' Message-IDs."""
    parts = message_id.lstrip("<").partition("@")[0].split(".")
    if len(parts) < 6 or parts[0] != "relance" or parts[2] != KIND:
        return None
    try:
        return int(parts[1]), int(parts[3]), int(parts[4])
    except ValueError:
        return None


def jobs_of(message_id: str) -> list[int]:
    """The jobs a digest's Message-ID names."""
    parts = message_id.lstrip("<").partition("@")[0].split(".")
    if _key_of(message_id) is None:
        return []
    return [int(part) for part in parts[5:-1] if part.isdigit()]


# --- the message ----------------------------------------------------------------------------

CONTRACTS = {
    "fr": {"permanent": "CDI", "fixed_term": "CDD", "freelance": "Freelance",
           "internship": "Stage", "apprenticeship": "Alternance", "other": "Autre"},
    "en": {"permanent": "Permanent", "fixed_term": "Fixed-term", "freelance": "Freelance",
           "internship": "Internship", "apprenticeship": "Apprenticeship", "other": "Other"},
}  # fmt: skip

TEXTS = {
    "fr": Source(
        name="pool.job_alert",
        language="fr",
        subject="{{ job.count }} {% if job.count > 1 %}offres qui correspondent{% else %}offre qui "
        "correspond{% endif %} à votre profil — {{ company }}",
        body="Bonjour {{ candidate.first_name }},\n\n"
        "{% if job.count > 1 %}Voici les offres ouvertes récemment chez {{ company }} qui "
        "correspondent à votre profil :{% else %}Voici une offre ouverte récemment chez "
        "{{ company }} qui correspond à votre profil :{% endif %}\n"
        "{% for offer in job.offers %}\n"
        "- {{ offer.title }}{% if offer.place %} — {{ offer.place }}{% endif %}"
        "{% if offer.contract %} — {{ offer.contract }}{% endif %}\n"
        "{% if offer.why %}  Pourquoi : {{ offer.why }}\n{% endif %}"
        "  Postuler : {{ offer.link }}\n"
        "{% endfor %}\n"
        "Une question ? Répondez simplement à ce message.\n\n"
        "{{ company }}",
    ),
    "en": Source(
        name="pool.job_alert",
        language="en",
        subject="{{ job.count }} {% if job.count > 1 %}jobs that match{% else %}job that matches"
        "{% endif %} your profile — {{ company }}",
        body="Hi {{ candidate.first_name }},\n\n"
        "{% if job.count > 1 %}Here are the jobs recently opened at {{ company }} that match "
        "your profile:{% else %}Here is a job recently opened at {{ company }} that matches "
        "your profile:{% endif %}\n"
        "{% for offer in job.offers %}\n"
        "- {{ offer.title }}{% if offer.place %} — {{ offer.place }}{% endif %}"
        "{% if offer.contract %} — {{ offer.contract }}{% endif %}\n"
        "{% if offer.why %}  Why: {{ offer.why }}\n{% endif %}"
        "  Apply: {{ offer.link }}\n"
        "{% endfor %}\n"
        "A question? Simply reply to this message.\n\n"
        "{{ company }}",
    ),
}


def _names(concepts: Iterable[str], language: str) -> str:
    try:
        from relance.matching import vocabulary
    except ImportError:
        return ", ".join(concepts)
    names = []
    for concept in concepts:
        try:
            names.append(vocabulary.name(concept, language))
        except KeyError:
            continue
    return ", ".join(names[:6])


def job_link(job: Job) -> str:
    """The job's public page, with its apply form."""
    slug = job.organisation.slug
    return f"{settings.RELANCE_BASE_URL}{reverse('intake:job', args=[slug, job.pk])}"


def message(digest: Digest, now: datetime) -> OutboxMessage:
    person = digest.candidate
    organisation = person.organisation
    language = person.language if person.language in ("fr", "en") else "en"
    recruiter = person.owner or digest.jobs[0][0].owner
    preferences = links.url(person, "preferences", now)
    withdraw = links.url(person, "withdraw", now)
    variables: dict[str, Any] = compose.context(
        organisation=organisation, candidate=person, recruiter=recruiter, job=None, previous=None
    )
    # The digest's jobs go in `job` (a variable every template may use): its count and
    # its offers.
    variables["job"] = {
        "count": len(digest.jobs),
        "offers": [
            {
                "title": job.title,
                "place": job.location,
                "contract": CONTRACTS[language].get(job.contract, ""),
                "why": _names(fit.matched, language),
                "link": job_link(job),
            }
            for job, fit in digest.jobs
        ],
    }
    rendered = render(TEXTS[language], variables)
    company = organisation.name
    body = rendered.body + campaigns.FOOTER[language].format(
        company=company, de_company=french.elide("de", company),
        preferences=preferences, withdraw=withdraw,
    )  # fmt: skip
    sender = senders.sender_for(recruiter)
    from_address = senders.from_header(sender, recruiter)
    job_ids = [job.pk for job, _ in digest.jobs]
    return OutboxMessage(
        organisation_id=organisation.pk,
        candidate_id=person.pk,
        recruiter=recruiter,
        topic=TOPIC,
        reason=REASON,
        message_id=compose.message_id(
            organisation.pk, KIND, person.pk, digest.period, *job_ids, sender=from_address
        ),
        sender=sender,
        from_address=from_address,
        to_address=compose.recipient(person),
        to_domain=person.email.rpartition("@")[2].lower(),
        subject=rendered.subject,
        body=body,
        due_at=now,
        created_at=now,
    )


# --- checking again when a digest leaves ----------------------------------------------------


def closed_jobs(rows: list[OutboxMessage]) -> set[int]:
    """Of these digests, those naming a job that is no longer open."""
    named = {row.pk: jobs_of(row.message_id) for row in rows}
    wanted = {job for jobs in named.values() for job in jobs}
    if not wanted:
        return set()
    still = set(
        Job.objects.filter(pk__in=wanted, status=Job.Status.OPEN).values_list("pk", flat=True)
    )
    return {pk for pk, jobs in named.items() if any(job not in still for job in jobs)}


# --- the worker's step ----------------------------------------------------------------------


def advance(now: datetime, ranking: Ranking | None = None) -> int:
    """The worker's step: write the digests due in every organisation. Cheap when nothing
    is due (one query). Returns how many were written."""
    if not due(now):
        return 0
    written = 0
    for organisation in Organisation.objects.order_by("pk"):
        try:
            written += run(organisation, now, ranking).written
        except Exception:  # one organisation's failure must not stop the others'
            log.exception("job alerts of organisation %s failed", organisation.pk)
    return written
