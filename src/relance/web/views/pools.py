"""Talent pools, segments and campaigns: compose a message for a segment, read who will
receive it and who will not (with the reason), schedule it, follow its figures."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relance import clock
from relance.engine import Stage
from relance.messaging.render import TemplateProblem
from relance.people.models import Candidate, Consent, Job
from relance.pools import campaigns, consent, segments
from relance.pools.models import Campaign, Pool, Segment, TagRule
from relance.pools.pools import add_members, apply_rules_everywhere, silver_medalists
from relance.web import errors, labels, scope
from relance.web.views.templates import describe

EXAMPLE = {
    "all": [
        {"field": "application", "stage": ["rejected"], "reached": "final", "job": "java",
         "within_days": 548},
        {"field": "consent", "purpose": "job_alerts"},
    ]
}  # fmt: skip


@require_GET
@scope.recruiter_page
def pools(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    silver = Candidate.objects.of(org).filter(anonymised_at__isnull=True)
    counted: dict[str, Any] = {}
    asked = request.GET.get("count", "")
    if asked.isdigit():  # one saved segment counted, on request (a count reads the table)
        segment = get_object_or_404(Segment.objects.of(org), pk=int(asked))
        people = segments.evaluate(org, segment.definition, clock.now())
        counted = {"segment": segment.pk, "n": people.count()}
    return render(
        request,
        "web/pools.html",
        {
            "pools": Pool.objects.of(org).annotate(n=Count("members")).order_by("name"),
            "silver": silver.filter(silver_medalists()).count(),
            "segments": Segment.objects.of(org).order_by("name"),
            "rules": TagRule.objects.of(org).order_by("tag"),
            "example": json.dumps(EXAMPLE, indent=2),
            "stages": labels.STAGES,
            "counted": counted,
        },
    )


@require_POST
@scope.recruiter_page
def save_segment(request: HttpRequest) -> HttpResponse:
    """Save a named segment; a definition that cannot be evaluated is refused with where
    and what was expected, and nothing is saved."""
    org = scope.organisation(request)
    name = request.POST.get("name", "").strip()[:120]
    raw = request.POST.get("definition", "")
    try:
        definition = json.loads(raw or "{}")
        segments.check(org, definition, clock.now())
        if not name:
            raise segments.SegmentError(_("A segment needs a name."))
        if Segment.objects.of(org).filter(name=name).exists():
            raise segments.SegmentError(_("A segment with this name exists already."))
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}: {error.msg}"
        text = _("Not saved: the definition is not valid JSON (%(where)s).") % {"where": where}
        messages.error(request, text)
        return redirect("web:pools")
    except segments.SegmentError as error:
        messages.error(request, _("Not saved: %(problem)s") % {"problem": error})
        return redirect("web:pools")
    Segment.objects.create(organisation=org, name=name, definition=definition,
                           created_by=scope.me(request), created_at=clock.now())  # fmt: skip
    messages.success(request, _("Segment saved."))
    return redirect("web:pools")


@require_GET
@scope.recruiter_page
def campaign_list(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    rows = Campaign.objects.of(org).select_related("segment", "created_by").order_by("-created_at")
    shown = list(rows[:50])
    counts = campaigns.figures_of([c.pk for c in shown])  # two queries for the whole page
    return render(
        request,
        "web/campaigns.html",
        {"campaigns": [(c, counts[c.pk]) for c in shown], "topics": labels.TOPICS},
    )


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Compose: a segment, a topic, a job, the message in French and English. "Preview"
    shows who receives it and who does not, with the reasons; "Schedule" fixes it."""
    org = scope.organisation(request)
    now = clock.now()
    form: dict[str, Any] = {"name": "", "topic": "job_offers", "segment": "", "job": "",
                            "at": "", **campaigns.default_texts()}  # fmt: skip
    preview, preview_at = None, None
    error = ""
    if request.method == "POST":
        form.update({k: request.POST.get(k, form.get(k, "")) for k in form})
        campaign = _campaign_from(org, request, form, now)
        if isinstance(campaign, str):
            error = campaign
        else:
            try:
                at = _moment(form["at"], org.timezone, now) or now
                if request.POST.get("action") == "schedule":
                    with transaction.atomic():  # refused: no campaign row is left behind
                        campaign.save()
                        campaigns.schedule(campaign, at, now)
                    messages.success(request, _("Campaign scheduled."))
                    return redirect("web:campaign", pk=campaign.pk)
                campaigns.check_texts(campaign)
                # Who receives it and who does not, and why, as of the moment it leaves:
                # consents, rhythms and the pressure cap are counted then, not now.
                preview = campaigns.preview(
                    org, campaign.definition, campaign.topic, at, campaign.job
                )
                preview_at = at if at > now else None
            except TemplateProblem as problem:
                error = describe(problem)
            except (campaigns.CampaignError, segments.SegmentError) as problem:
                error = str(problem)
    return render(
        request,
        "web/campaign_new.html",
        {
            "form": form,
            "topics": labels.TOPICS,
            "segments": Segment.objects.of(org).order_by("name"),
            "jobs": Job.objects.of(org).filter(status="open").order_by("title"),
            "preview": preview,
            "preview_at": preview_at,
            "exclusions": labels.EXCLUSIONS,
            "error": error,
            "earliest": dj_timezone.localtime(now, ZoneInfo(org.timezone)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        },
        status=400 if error else 200,
    )


def _campaign_from(
    org: Any, request: HttpRequest, form: dict[str, Any], now: datetime
) -> Campaign | str:
    if not form["name"].strip():
        return _("A campaign needs a name.")
    if form["topic"] not in labels.TOPICS:
        return _("Unknown topic %(topic)s.") % {"topic": form["topic"]}
    segment = (
        Segment.objects.of(org).filter(pk=form["segment"]).first()
        if form["segment"].isdigit()
        else None
    )
    if segment is None:
        return _("Choose a segment (save one on the Pools page).")
    job = Job.objects.of(org).filter(pk=form["job"]).first() if form["job"].isdigit() else None
    return Campaign(
        organisation=org, name=form["name"].strip()[:200], topic=form["topic"], segment=segment,
        definition=segment.definition, job=job, created_by=scope.me(request),
        subject_fr=form["subject_fr"], body_fr=form["body_fr"],
        subject_en=form["subject_en"], body_en=form["body_en"], created_at=now,
    )  # fmt: skip


def _moment(raw: str, zone: str, now: datetime) -> datetime | None:
    """A datetime-local value, read in the organisation's time zone (None when empty).
    A moment already past is refused: it used to mean "now" without saying so."""
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise campaigns.CampaignError(
            _("Send at: %(value)s is not a date and time (expected e.g. 2026-12-01T09:30).")
            % {"value": raw}
        ) from None
    at = dj_timezone.make_aware(local, ZoneInfo(zone)) if local.tzinfo is None else local
    if at < now.replace(second=0, microsecond=0):
        raise campaigns.CampaignError(
            _("Send at: %(value)s is already past (it is %(now)s). Choose a later moment, "
              "or leave it empty to send now.")
            % {"value": labels.moment(at), "now": labels.moment(now)}
        )  # fmt: skip
    return at


@require_GET
@scope.recruiter_page
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    org = scope.organisation(request)
    row = get_object_or_404(Campaign.objects.of(org).select_related("segment", "job"), pk=pk)
    preview, preview_at, now = None, None, clock.now()
    if row.status in (Campaign.Status.SCHEDULED, Campaign.Status.DRAFT):
        # As of when it leaves: who it will reach then.
        at = max(row.scheduled_at or now, now)
        preview = campaigns.preview(org, row.definition, row.topic, at, row.job_id)
        preview_at = at if at > now else None
    excluded = preview.excluded if preview else row.excluded
    return render(
        request,
        "web/campaign.html",
        {
            "campaign": row,
            "figures": campaigns.figures(row),
            "excluded": [(labels.EXCLUSIONS.get(k, k), n) for k, n in excluded.items()],
            "preview": preview,
            "preview_at": preview_at,
            "exclusions": labels.EXCLUSIONS,
            "topics": labels.TOPICS,
            "earliest": dj_timezone.localtime(now, ZoneInfo(org.timezone)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        },
    )


@require_POST
@scope.recruiter_page
def campaign_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft (the job page's "send this job to the selected" makes one) scheduled from its
    page, at `at` (the organisation's time; empty: now), with the checks of a new campaign."""
    org = scope.organisation(request)
    row = get_object_or_404(Campaign.objects.of(org).select_related("organisation"), pk=pk)
    now = clock.now()
    try:
        at = _moment(request.POST.get("at", ""), org.timezone, now) or now
        with transaction.atomic():
            campaigns.schedule(row, at, now)
    except TemplateProblem as problem:
        messages.error(request, describe(problem))
    except (campaigns.CampaignError, segments.SegmentError) as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, _("Campaign scheduled."))
    return redirect("web:campaign", pk=row.pk)


@require_POST
@scope.recruiter_page
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    org = scope.organisation(request)
    row = get_object_or_404(Campaign.objects.of(org), pk=pk)
    cancelled = campaigns.cancel(row, clock.now())
    messages.success(
        request, _("Campaign cancelled; %(n)s message(s) not sent.") % {"n": cancelled}
    )
    return redirect("web:campaign", pk=row.pk)


@require_POST
@scope.recruiter_page
def save_pool(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    name = request.POST.get("name", "").strip()[:120]
    if not name:
        messages.error(request, _("A pool needs a name."))
    elif Pool.objects.of(org).filter(name=name).exists():
        messages.error(request, _("A pool with this name exists already."))
    else:
        Pool.objects.create(organisation=org, name=name, created_at=clock.now(),
                            description=request.POST.get("description", "").strip())  # fmt: skip
        messages.success(request, _("Pool created."))
    return redirect("web:pools")


@require_POST
@scope.recruiter_page
def save_rule(request: HttpRequest) -> HttpResponse:
    """A tag rule, applied at once to the applications already ended, then to every
    application that reaches its stage."""
    org = scope.organisation(request)
    tag = request.POST.get("tag", "").strip()[:60]
    stage = request.POST.get("stage", "rejected")
    reached = request.POST.get("reached", "")
    stages = {s.value for s in Stage}
    if not tag or stage not in stages or (reached and reached not in stages):
        messages.error(request, _("Not saved: a rule needs a tag, and known stages."))
        return redirect("web:pools")
    rule = TagRule.objects.create(
        organisation=org, tag=tag, stage=stage, reached=reached, created_at=clock.now(),
        job_title_contains=request.POST.get("job_title_contains", "").strip()[:120],
    )  # fmt: skip
    tagged = apply_rules_everywhere(org)
    messages.success(
        request, _("Rule “%(tag)s” saved; %(n)s candidate(s) tagged now.")
        % {"tag": rule.tag, "n": tagged},
    )  # fmt: skip
    return redirect("web:pools")


@require_POST
@scope.recruiter_page
def add_to_pool(request: HttpRequest, pk: int) -> HttpResponse:
    person = scope.candidate(request, pk)
    pool = get_object_or_404(Pool.objects.of(scope.organisation(request)),
                             pk=request.POST.get("pool", "0") or 0)  # fmt: skip
    if add_members(pool, [person.pk], clock.now()):
        messages.success(request, _("Added to the pool %(pool)s.") % {"pool": pool.name})
    return redirect("web:candidate", pk=person.pk)


@require_POST
@scope.recruiter_page
def consent_on_a_call(request: HttpRequest, pk: int) -> HttpResponse:
    """The candidate agreed on the phone: the consent is recorded with the recruiter who
    took it, the wording they read out, and `call` as how it was given."""
    person = scope.candidate(request, pk)
    purpose = request.POST.get("purpose", "")
    if purpose not in consent.WORDING:
        return errors.bad_request(request, errors.one_of("purpose", purpose, consent.WORDING))
    now = clock.now()
    consent.record_choices(person, consent.active(person) | {purpose}, {}, now,
                           method=Consent.Method.CALL, recorded_by=scope.me(request))  # fmt: skip
    messages.success(request, _("Consent recorded, given on a call."))
    return redirect("web:candidate", pk=person.pk)
