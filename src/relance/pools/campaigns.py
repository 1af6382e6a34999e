"""Campaigns: one message to a segment, previewed, scheduled, written to the outbox in
batches that resume after a restart, and checked again when each message leaves.

Who is excluded, and why (the first reason that applies):

    do_not_contact, unsubscribed, bounced, no_email, ended (hired or withdrawn),
    in_process (a job offer about a job: an active application on another job — they
    are busy with us already), no_consent (for the topic's purpose,
    hard rule 9), preference_never,
    preference_frequency (a message of this topic came too recently for their rhythm),
    pressure_cap (at the cap of messages for the last 7 days, hard rule 3)

The preview and the batches evaluate these in the database. When a worker claims a
campaign message, the same rules are checked again, exactly, under the candidate's lock
(`recheck`): two campaigns to overlapping segments, or a campaign and a follow-up, never
put a candidate over the pressure cap.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from relance import french
from relance.engine import Stage, Touch, calendar
from relance.engine.rules import counted_times, near_duplicate_of, pressure_earliest
from relance.followups.models import Touchpoint
from relance.messaging import checks, compose, senders
from relance.messaging.models import OutboxMessage, Sender
from relance.messaging.render import Source, TemplateProblem, builtin, render
from relance.people.models import Application, Candidate, Consent, Job, Organisation
from relance.pools import links, segments
from relance.pools.consent import DEFAULT, INTERVAL, PURPOSE_OF_TOPIC
from relance.pools.models import Campaign, Frequency, Preference

log = logging.getLogger(__name__)

REASONS = (
    "do_not_contact",
    "unsubscribed",
    "bounced",
    "no_email",
    "ended",
    "in_process",
    "no_consent",
    "preference_never",
    "preference_frequency",
    "pressure_cap",
)
BATCH = 500
# Batches are written ahead of the sending by at most this many messages per campaign.
AHEAD = 2 * BATCH
# A campaign message held back by the pressure cap or the sending window waits at most
# this long after it was written; then it is cancelled with that reason.
PATIENCE = timedelta(days=7)
PREVIEW_ROWS = 50
# An application still going on (not ended by a rejection, a withdrawal or a hire): the
# same notion as people.models.Application.is_active.
ENDED_STAGES = (Stage.REJECTED, Stage.WITHDRAWN, Stage.HIRED)


class CampaignError(ValueError):
    """A campaign that cannot be scheduled or changed: what, and why."""


# --- who, and why not --------------------------------------------------------------------


def annotated(
    organisation: Organisation,
    definition: Mapping[str, Any],
    topic: str,
    now: datetime,
    job: Job | int | None = None,
) -> QuerySet[Candidate]:
    """The segment's candidates, each with `exclusion`: '' if the message may go, else the
    first reason it may not. `job` is the campaign's job: a job offer about it is not sent
    to someone in an active process on another job (`in_process`; a campaign with no job
    has no "other job": the reason does not apply)."""
    purpose = PURPOSE_OF_TOPIC[topic]
    job_id = job.pk if isinstance(job, Job) else job
    busy = Application.objects.filter(candidate=OuterRef("pk")).exclude(stage__in=ENDED_STAGES)
    in_process = (
        Q(Exists(busy.exclude(job_id=job_id)))
        if topic == "job_offers" and job_id is not None
        else Q(pk__in=[])
    )
    policy = organisation.get_policy()
    chosen = Preference.objects.filter(candidate=OuterRef("pk"), topic=topic).values("frequency")[
        :1
    ]
    rhythm = Coalesce(Subquery(chosen), Value(DEFAULT[topic]), output_field=CharField())
    recent_of_topic = {
        frequency: Exists(
            OutboxMessage.objects.filter(
                candidate=OuterRef("pk"),
                topic=topic,
                created_at__gte=now - interval,
            ).exclude(status__in=[OutboxMessage.Status.CANCELLED, OutboxMessage.Status.FAILED])
        )
        for frequency, interval in INTERVAL.items()
        if interval is not None
    }
    week = Touchpoint.objects.filter(
        candidate=OuterRef("pk"), direction="out", at__gte=now - timedelta(days=7)
    ).filter(
        Q(kind="message", channel__in=["email", "sms", "linkedin"])
        | Q(kind="call", outcome__in=["answered", "voicemail"])
    )
    week_count = Subquery(
        week.order_by().values("candidate").annotate(n=Count("pk")).values("n")[:1]
    )
    too_recent = Q()
    for frequency, exists in recent_of_topic.items():
        too_recent |= Q(x_rhythm=frequency) & Q(exists)
    return (
        segments.evaluate(organisation, definition, now)
        .annotate(x_rhythm=rhythm, x_week=Coalesce(week_count, 0))
        .annotate(
            exclusion=Case(
                When(do_not_contact_at__isnull=False, then=Value("do_not_contact")),
                When(unsubscribed_at__isnull=False, then=Value("unsubscribed")),
                When(email_bounced_at__isnull=False, then=Value("bounced")),
                When(email="", then=Value("no_email")),
                When(
                    Exists(
                        Application.objects.filter(
                            candidate=OuterRef("pk"), stage__in=[Stage.HIRED, Stage.WITHDRAWN]
                        )
                    ),
                    then=Value("ended"),
                ),
                When(in_process, then=Value("in_process")),
                When(
                    ~Exists(
                        Consent.objects.filter(
                            candidate=OuterRef("pk"), purpose=purpose, withdrawn_at__isnull=True
                        )
                    ),
                    then=Value("no_consent"),
                ),
                When(x_rhythm=Frequency.NEVER, then=Value("preference_never")),
                When(too_recent, then=Value("preference_frequency")),
                When(x_week__gte=policy.max_messages_per_7_days, then=Value("pressure_cap")),
                default=Value(""),
                output_field=CharField(),
            )
        )
    )


@dataclass
class Preview:
    total: int
    recipients: int
    excluded: dict[str, int]
    sample_in: list[Candidate] = field(default_factory=list)
    sample_out: list[Candidate] = field(default_factory=list)


def preview(
    organisation: Organisation,
    definition: Mapping[str, Any],
    topic: str,
    now: datetime,
    job: Job | int | None = None,
) -> Preview:
    """How many will receive it, how many will not and why (one grouped query), and the
    first people of each side."""
    rows = annotated(organisation, definition, topic, now, job)
    counts = dict(rows.order_by().values_list("exclusion").annotate(n=Count("pk")))
    total = sum(counts.values())
    excluded = {reason: counts[reason] for reason in REASONS if counts.get(reason)}
    fields = ("pk", "first_name", "last_name", "email", "exclusion")
    return Preview(
        total=total,
        recipients=counts.get("", 0),
        excluded=excluded,
        sample_in=list(rows.filter(exclusion="").only(*fields[:-1]).order_by("pk")[:PREVIEW_ROWS]),
        sample_out=list(
            rows.exclude(exclusion="").only(*fields[:-1]).order_by("pk")[:PREVIEW_ROWS]
        ),
    )


# --- scheduling ----------------------------------------------------------------------------


def schedule(campaign: Campaign, at: datetime, now: datetime) -> Preview:
    """Fix the segment as it is now and schedule the campaign. Refused for an empty
    segment, or one where nobody may receive it."""
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        raise CampaignError(
            _("campaign %(id)s is %(status)s: it cannot be scheduled")
            % {"id": campaign.pk, "status": campaign.status}
        )
    definition = campaign.segment.definition if campaign.segment else campaign.definition
    try:
        segments.check(campaign.organisation, definition, now)
    except segments.SegmentError as error:
        raise CampaignError(str(error)) from None
    check_texts(campaign)
    seen = preview(campaign.organisation, definition, campaign.topic, max(at, now), campaign.job_id)
    if seen.total == 0:
        raise CampaignError(_("the segment is empty: nobody to send it to"))
    if seen.recipients == 0:
        raise CampaignError(_("nobody in the segment may receive it (see the exclusions)"))
    campaign.definition = definition
    campaign.status = Campaign.Status.SCHEDULED
    campaign.scheduled_at = max(at, now)
    campaign.save(update_fields=["definition", "status", "scheduled_at"])
    return seen


def cancel(campaign: Campaign, now: datetime) -> int:
    """Stop a campaign: no more batches, and its messages not sent yet are cancelled."""
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.CANCELLED, finished_at=now
        )
        return OutboxMessage.objects.filter(
            campaign=campaign, status=OutboxMessage.Status.PENDING
        ).update(status=OutboxMessage.Status.CANCELLED, last_error="campaign cancelled")


def check_texts(campaign: Campaign) -> None:
    """Render both languages on a stand-in, so a broken template is refused before
    anything is scheduled."""
    for language in ("fr", "en"):
        source = _source(campaign, language)
        rendered = render(source, _variables(campaign, None, "https://example.invalid/p/", ""))
        refused = checks.problem(rendered.subject, rendered.body)  # a placeholder left
        if refused is not None:
            raise TemplateProblem(source.name, language, str(refused))


# --- writing batches -----------------------------------------------------------------------


def advance(now: datetime, batch: int = BATCH) -> int:
    """Write the next batches of every due campaign, keeping at most AHEAD messages of
    each waiting in the outbox. Returns how many messages were written."""
    written = 0
    due = Campaign.objects.filter(
        status__in=[Campaign.Status.SCHEDULED, Campaign.Status.SENDING], scheduled_at__lte=now
    ).values_list("pk", flat=True)
    for campaign_id in list(due):
        while True:
            waiting = OutboxMessage.objects.filter(
                campaign_id=campaign_id, status=OutboxMessage.Status.PENDING
            ).count()
            if waiting >= AHEAD:
                break
            try:
                count, finished = write_batch(campaign_id, now, batch)
            except TemplateProblem as problem:  # never for one person only: stop it all
                log.error("campaign %s cancelled: %s", campaign_id, problem)
                Campaign.objects.filter(pk=campaign_id).update(
                    status=Campaign.Status.CANCELLED, finished_at=now
                )
                break
            written += count
            if finished:
                break
    return written


def write_batch(campaign_id: int, now: datetime, size: int = BATCH) -> tuple[int, bool]:
    """Write one batch: the next `size` people of the segment after the cursor. The rows,
    the exclusion counts and the cursor move in one transaction: after a crash, the next
    batch starts where the last one written ended. Returns (messages written, finished)."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("organisation", "created_by", "job")
            .get(pk=campaign_id)
        )
        if campaign.status not in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING):
            return 0, True
        people = list(
            annotated(
                campaign.organisation, campaign.definition, campaign.topic, now, campaign.job_id
            )
            .filter(pk__gt=campaign.last_candidate_id)
            .order_by("pk")[:size]
        )
        excluded = dict(campaign.excluded)
        rows = []
        sender = senders.sender_for(campaign.created_by)
        from_address = senders.from_header(sender, campaign.created_by)
        # Each person once: the cursor moves with the rows, and a row already written (a
        # cursor moved back by hand) is not written again. Message-IDs are random: they
        # cannot say it.
        written = set(
            OutboxMessage.objects.filter(
                campaign=campaign, candidate_id__in=[person.pk for person in people]
            ).values_list("candidate_id", flat=True)
        )
        for person in people:
            if person.exclusion:
                excluded[person.exclusion] = excluded.get(person.exclusion, 0) + 1
                continue
            if person.pk not in written:
                rows.append(_message(campaign, person, now, sender, from_address))
        OutboxMessage.objects.bulk_create(rows)
        finished = len(people) < size
        campaign.excluded = excluded
        campaign.written += len(rows)
        campaign.last_candidate_id = people[-1].pk if people else campaign.last_candidate_id
        campaign.status = Campaign.Status.DONE if finished else Campaign.Status.SENDING
        campaign.finished_at = now if finished else None
        campaign.save(
            update_fields=["excluded", "written", "last_candidate_id", "status", "finished_at"]
        )
    return len(rows), finished


def _source(campaign: Campaign, language: str) -> Source:
    subject = campaign.subject_fr if language == "fr" else campaign.subject_en
    body = campaign.body_fr if language == "fr" else campaign.body_en
    return Source(name=f"campaign.{campaign.pk}", language=language, subject=subject, body=body)


FOOTER_MARK = "\n\n--\n"
FOOTER = {
    "fr": "\n\n--\nVous recevez ce message car vous avez rejoint le vivier {de_company}.\n"
    "Choisir à quel rythme nous vous écrivons : {preferences}\n"
    "Tout arrêter en un clic : {withdraw}\n",
    "en": "\n\n--\nYou receive this message because you joined the talent pool of {company}.\n"
    "Choose how often we write to you: {preferences}\n"
    "Stop everything in one click: {withdraw}\n",
}


def _variables(
    campaign: Campaign, candidate: Candidate | None, preferences: str, withdraw: str
) -> dict[str, Any]:
    org = campaign.organisation
    recruiter = campaign.created_by
    stand_in = Candidate(organisation=org, first_name="Camille", last_name="Martin")
    variables = compose.context(
        organisation=org,
        candidate=candidate or stand_in,
        recruiter=recruiter,
        job=campaign.job,
        previous=None,
    )
    variables["preferences_link"] = preferences
    variables["withdraw_link"] = withdraw
    return variables


def _message(
    campaign: Campaign,
    person: Candidate,
    now: datetime,
    sender: Sender | None,
    from_address: str,
) -> OutboxMessage:
    language = person.language if person.language in ("fr", "en") else "en"
    preferences = links.url(person, "preferences", now)
    withdraw = links.url(person, "withdraw", now)
    rendered = render(
        _source(campaign, language), _variables(campaign, person, preferences, withdraw)
    )
    company = campaign.organisation.name
    body = rendered.body + FOOTER[language].format(
        company=company, de_company=french.elide("de", company),
        preferences=preferences, withdraw=withdraw,
    )  # fmt: skip
    refused = checks.problem(rendered.subject, rendered.body)  # empty, or a placeholder left
    if refused is not None:  # never for one person only: the campaign stops (advance)
        raise TemplateProblem(f"campaign {campaign.pk}", language, str(refused))
    recruiter = campaign.created_by
    return OutboxMessage(
        organisation_id=campaign.organisation_id,
        candidate_id=person.pk,
        recruiter=recruiter,
        campaign=campaign,
        topic=campaign.topic,
        reason="campaign",
        message_id=compose.message_id(
            campaign.organisation_id, "c", campaign.pk, person.pk, sender=from_address
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


# --- checking again when a message leaves ---------------------------------------------------


def recheck(
    rows: list[OutboxMessage], now: datetime, in_flight: Mapping[int, list[Touch]]
) -> dict[int, tuple[str, datetime | None, str]]:
    """For each campaign row about to leave: ("go", None, ""), ("wait", until, why) or
    ("cancel", None, why). Called under the candidates' locks, with the messages other
    workers are handing over right now (`in_flight`), so the pressure cap is exact."""
    if not rows:
        return {}
    facts = _Facts.read(rows, now, in_flight)
    return {row.pk: facts.verdict(row, now) for row in rows}


@dataclass
class _Facts:
    """What the rules need to know of the candidates of a batch, read in a few queries."""

    people: dict[int, Candidate]
    consents: set[tuple[int, str]]
    chosen: dict[tuple[int, str], str]  # (candidate, topic) -> rhythm
    ended: set[int]  # hired or withdrawn
    busy: dict[int, set[int]]  # candidate -> the jobs of their active applications
    job_of: dict[int, int | None]  # campaign -> its job
    earlier: dict[tuple[int, str], datetime]  # the last message of a topic, by candidate
    touches: dict[int, list[Touch]]  # the last 8 days, and what is in flight now
    received: dict[int, list[str]]  # written messages of the last 90 days (hard rule 7)

    @classmethod
    def read(cls, rows: list[OutboxMessage], now: datetime,
             in_flight: Mapping[int, list[Touch]]) -> _Facts:  # fmt: skip
        from relance.followups.recompute import load_touches_of

        ids = sorted({row.candidate_id for row in rows})
        people = {
            c.pk: c for c in Candidate.objects.filter(pk__in=ids).select_related("organisation")
        }
        window = max(
            (c.organisation.get_policy().near_duplicate_days for c in people.values()), default=90
        )
        touches = load_touches_of(ids, since=now - timedelta(days=8))
        for pk, flying in in_flight.items():  # counted as leaving now
            touches.setdefault(pk, []).extend(replace(t, at=now) for t in flying)
        return cls(
            people=people,
            consents=set(
                Consent.objects.filter(candidate_id__in=ids, withdrawn_at__isnull=True).values_list(
                    "candidate_id", "purpose"
                )
            ),
            chosen={
                (c, t): f
                for c, t, f in Preference.objects.filter(candidate_id__in=ids).values_list(
                    "candidate_id", "topic", "frequency"
                )
            },
            ended=set(
                Application.objects.filter(
                    candidate_id__in=ids, stage__in=[Stage.HIRED, Stage.WITHDRAWN]
                ).values_list("candidate_id", flat=True)
            ),
            busy=_busy(ids),
            job_of=dict(
                Campaign.objects.filter(
                    pk__in={row.campaign_id for row in rows if row.campaign_id is not None}
                ).values_list("pk", "job_id")
            ),
            earlier={
                (c, t): at
                for c, t, at in OutboxMessage.objects.filter(candidate_id__in=ids)
                .exclude(topic="")
                .exclude(pk__in=[row.pk for row in rows])
                .exclude(
                    status__in=[
                        OutboxMessage.Status.CANCELLED,
                        OutboxMessage.Status.FAILED,
                        OutboxMessage.Status.PENDING,
                    ]
                )
                .order_by("created_at")
                .values_list("candidate_id", "topic", "created_at")
            },
            touches=touches,
            received=_received(ids, now - timedelta(days=window)),
        )

    def verdict(self, row: OutboxMessage, now: datetime) -> tuple[str, datetime | None, str]:
        person = self.people.get(row.candidate_id)
        if person is None or person.anonymised_at is not None:
            return "cancel", None, "erased"
        for reason, flag in (
            ("do_not_contact", person.do_not_contact_at),
            ("unsubscribed", person.unsubscribed_at),
            ("bounced", person.email_bounced_at),
        ):
            if flag is not None:
                return "cancel", None, reason
        if person.pk in self.ended:
            return "cancel", None, "ended"
        job_id = self.job_of.get(row.campaign_id or 0)
        if (
            row.topic == "job_offers"
            and job_id is not None
            and self.busy.get(person.pk, set()) - {job_id}
        ):
            return "cancel", None, "in_process"
        if (person.pk, PURPOSE_OF_TOPIC[row.topic]) not in self.consents:
            return "cancel", None, "no_consent"
        interval = INTERVAL[self.chosen.get((person.pk, row.topic), DEFAULT[row.topic])]
        if interval is None:
            return "cancel", None, "preference_never"
        last = self.earlier.get((person.pk, row.topic))
        if last is not None and last > now - interval:
            return "cancel", None, "preference_frequency"
        policy = person.organisation.get_policy()
        counted = counted_times(self.touches.get(person.pk, []))
        allowed = pressure_earliest(now, counted, person.timezone, policy)
        opens, _ = calendar.next_open(
            allowed, person.timezone, person.country, policy.sending_window
        )
        if opens > now:
            why = "pressure_cap" if allowed > now else "sending_window"
            if opens - row.created_at > PATIENCE:
                return "cancel", None, why
            return "wait", opens, why
        if near_duplicate_of(_text(row.body), self.received.get(person.pk, [])):
            return "cancel", None, "near_duplicate"  # hard rule 7: rewrite it
        return "go", None, ""


def _busy(candidate_ids: list[int]) -> dict[int, set[int]]:
    """The jobs each candidate is in an active process on."""
    out: dict[int, set[int]] = {}
    rows = (
        Application.objects.filter(candidate_id__in=candidate_ids)
        .exclude(stage__in=ENDED_STAGES)
        .values_list("candidate_id", "job_id")
    )
    for candidate_id, job_id in rows:
        out.setdefault(candidate_id, set()).add(job_id)
    return out


def _text(body: str) -> str:
    """A campaign message without its footer (the same on every message: it would make
    two different messages look alike)."""
    return body.split(FOOTER_MARK, 1)[0]


def _received(candidate_ids: list[int], since: datetime) -> dict[int, list[str]]:
    """The written messages each candidate received since then, for hard rule 7."""
    out: dict[int, list[str]] = {}
    rows = Touchpoint.objects.filter(
        candidate_id__in=candidate_ids, direction="out", kind="message", at__gte=since
    ).values_list("candidate_id", "body")
    for candidate_id, body in rows:
        out.setdefault(candidate_id, []).append(_text(body))
    return out


# --- figures --------------------------------------------------------------------------------


def figures(campaign: Campaign) -> dict[str, int]:
    return figures_of([campaign.pk])[campaign.pk]


def figures_of(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Written, sent, delivered, bounced, replies, unsubscribes, waiting (or being sent),
    uncertain and cancelled, per campaign — counted in the database from the messages and
    what followed them: two queries, however many campaigns."""
    rows = OutboxMessage.objects.filter(campaign_id__in=campaign_ids)
    by_status: dict[int, dict[str, int]] = {pk: {} for pk in campaign_ids}
    for pk, status, n in (
        rows.order_by().values_list("campaign_id", "status").annotate(n=Count("pk"))
    ):
        by_status[pk][status] = n

    def came(**kinds: Any) -> Q:
        return Q(
            Exists(
                Touchpoint.objects.filter(
                    candidate=OuterRef("candidate"), at__gte=OuterRef("sent_at"), **kinds
                )
            )
        )

    after = {
        row["campaign_id"]: row
        for row in rows.filter(status=OutboxMessage.Status.SENT)
        .order_by()
        .values("campaign_id")
        .annotate(
            bounced=Count("pk", filter=came(kind="bounce")),
            replies=Count("pk", filter=came(kind="message", direction="in")),
            unsubscribes=Count("pk", filter=came(kind__in=["unsubscribe", "consent_withdrawn"])),
        )
    }
    out = {}
    for pk in campaign_ids:
        counts, later = by_status[pk], after.get(pk, {})
        sent = counts.get(OutboxMessage.Status.SENT, 0)
        bounced_after = later.get("bounced", 0)
        out[pk] = {
            "written": sum(counts.values()),
            "sent": sent,
            "delivered": max(0, sent - bounced_after),
            "bounced": bounced_after + counts.get(OutboxMessage.Status.FAILED, 0),
            "replies": later.get("replies", 0),
            "unsubscribes": later.get("unsubscribes", 0),
            "waiting": sum(
                counts.get(status, 0)
                for status in (
                    OutboxMessage.Status.PENDING,
                    OutboxMessage.Status.CLAIMED,
                    OutboxMessage.Status.SENDING,
                )
            ),
            "uncertain": counts.get(OutboxMessage.Status.UNCERTAIN, 0),
            "cancelled": counts.get(OutboxMessage.Status.CANCELLED, 0),
        }
    return out


def default_texts() -> dict[str, str]:
    """The text a new campaign starts from: the built-in `campaign.job_offer`."""
    library = builtin()
    fr, en = library[("campaign.job_offer", "fr")], library[("campaign.job_offer", "en")]
    return {"subject_fr": fr.subject, "body_fr": fr.body,
            "subject_en": en.subject, "body_en": en.body}  # fmt: skip
