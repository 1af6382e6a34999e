"""The candidate list (search and filters, keyset pagination) and the candidate page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from relance import clock
from relance.engine import CallOutcome, Channel, Situation, Stage
from relance.errors import InputError
from relance.followups.events import Event, EventType
from relance.followups.models import Thread, Touchpoint
from relance.followups.services import OneVoiceConflict, record_event
from relance.people import rights, search
from relance.people.models import (
    Application,
    AuditEntry,
    Candidate,
    Consent,
    Job,
    Organisation,
    Recruiter,
)
from relance.pools.models import Pool, PoolMember, Preference
from relance.web import addresses, errors, labels, scope
from relance.worker import wake_local

PAGE = 50
# The most candidate ids one page view reads (about 25 ms on SQLite at a million).
WINDOW = 50_000
LIST_COLUMNS = (
    "pk", "first_name", "last_name", "email", "stars", "source", "tags", "last_contact_at",
    "owner__first_name", "owner__last_name", "owner__email",
)  # fmt: skip
TIMELINE = 200


@require_GET
@scope.recruiter_page
def candidates(request: HttpRequest) -> HttpResponse:
    """A page of candidates, newest first. Pages follow the last id shown (keyset), and one
    page view reads at most WINDOW ids: a filter that matches few candidates shows what it
    found there and offers to search older ones, instead of reading a whole million. No
    page counts every row."""
    org = scope.organisation(request)
    filters = Filters.read(request.GET)
    if filters.problem:
        return errors.bad_request(request, filters.problem)
    after = request.GET.get("after", "")
    top = int(after) if after.isdigit() else newest_id(org) + 1
    bottom = max(0, top - WINDOW)
    rows = filters.apply(Candidate.objects.of(org), clock.now())
    rows = rows.filter(pk__lt=top, pk__gte=bottom)
    shown = rows.order_by("-pk").select_related("owner").only(*LIST_COLUMNS)
    page = list(shown[: PAGE + 1])
    next_after, searched_to = None, None
    if len(page) > PAGE:
        page = page[:PAGE]
        next_after = page[-1].pk
    elif bottom > 0 and Candidate.objects.of(org).filter(pk__lt=bottom).exists():
        next_after, searched_to = bottom, bottom  # older candidates not searched yet
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "web/candidates.html",
        {
            "page": page,
            "next_after": next_after,
            "searched_to": searched_to,
            "filters": filters,
            "query": query.urlencode(),
            "owners": Recruiter.objects.filter(organisation=org).order_by("first_name", "email"),
            "stages": labels.STAGES,
            "sources": labels.SOURCES,
            "purposes": labels.PURPOSES,
            "candidate_prefix": addresses.prefix("web:candidate"),
        },
    )


def newest_id(org: Organisation) -> int:
    newest = Candidate.objects.of(org).order_by("-pk").values_list("pk", flat=True).first()
    return newest or 0


class Filters:
    """The list's filters, read from the query string; a bad value is named, not ignored."""

    def __init__(self) -> None:
        self.q = self.stage = self.source = self.tag = self.consent = self.contact = ""
        self.stars = self.owner = 0
        self.problem = ""

    @classmethod
    def read(cls, get: Any) -> Filters:
        f = cls()
        f.q = get.get("q", "").strip()[:100]
        f.stage = get.get("stage", "")
        f.source = get.get("source", "")
        f.tag = get.get("tag", "").strip()[:60]
        f.consent = get.get("consent", "")
        f.contact = get.get("contact", "")
        for name in ("stars", "owner"):
            raw = get.get(name, "")
            if raw and not raw.isdigit():
                f.problem = errors.whole_number(name, raw)
            setattr(f, name, int(raw) if raw.isdigit() else 0)
        for name, value, known in (
            ("stage", f.stage, labels.STAGES),
            ("source", f.source, labels.SOURCES),
            ("consent", f.consent, labels.PURPOSES),
            ("contact", f.contact, CONTACT_FILTERS),
        ):
            if value and value not in known:
                f.problem = errors.one_of(name, value, known)
        return f

    def apply(self, rows: QuerySet[Candidate], now: Any) -> QuerySet[Candidate]:
        if self.q:
            for word in self.q.split()[:4]:
                rows = rows.filter(prefix_of(word))
        if self.stage:
            rows = rows.filter(
                Exists(Application.objects.filter(candidate=OuterRef("pk"), stage=self.stage))
            )
        if self.source:
            rows = rows.filter(source=self.source)
        if self.stars:
            rows = rows.filter(stars__gte=self.stars)
        if self.owner:
            rows = rows.filter(owner_id=self.owner)
        if self.tag:
            # Tags are a JSON list; its text holds each tag in quotes on every database.
            rows = rows.filter(tags__icontains=f'"{self.tag}"')
        if self.consent:
            rows = rows.filter(
                Exists(
                    Consent.objects.filter(
                        candidate=OuterRef("pk"), purpose=self.consent, withdrawn_at__isnull=True
                    )
                )
            )
        if self.contact == "never":
            rows = rows.filter(last_contact_at__isnull=True)
        elif self.contact:
            days = CONTACT_FILTERS[self.contact]
            rows = rows.filter(last_contact_at__lt=now - timedelta(days=days))
        return rows


CONTACT_FILTERS = {"30": 30, "90": 90, "180": 180, "never": 0}


def prefix_of(word: str) -> Q:
    """A candidate whose last name, first name or e-mail (or a word of them) starts with
    `word`, whatever its case and accents: both sides folded (people/search.py), so that
    SQLite and PostgreSQL find the same people ("elodie" finds Élodie, "lefevre" Lefèvre).

    The start of the key is an index range (candidate_search_key); a word inside it is read
    within the page's window of ids (WINDOW), so no view reads the whole table.
    """
    folded = search.fold(word)
    if not folded:
        return Q()
    return Q(search_key__startswith=folded) | Q(search_key__contains=f" {folded}")


@require_GET
@scope.recruiter_page
def candidate(request: HttpRequest, pk: int) -> HttpResponse:
    person = scope.candidate(request, pk)
    org = scope.organisation(request)
    rights.audit(person, scope.me(request), AuditEntry.Action.VIEWED, clock.now())
    threads = list(
        Thread.objects.filter(candidate=person)
        .select_related("recruiter", "application__job")
        .order_by("-status", "attention_at", "-stopped_at")[:30]
    )  # "open" sorts after "stopped": -status puts open threads first
    timeline = list(
        Touchpoint.objects.filter(candidate=person)
        .select_related("recruiter")
        .order_by("-at", "-pk")[:TIMELINE]
    )
    applications = list(
        Application.objects.filter(candidate=person)
        .select_related("job")
        .order_by("-stage_changed_at")
    )
    consents = list(Consent.objects.filter(candidate=person).order_by("-given_at"))
    open_jobs = list(Job.objects.of(org).filter(status=Job.Status.OPEN).order_by("title")[:200])
    applied = {a.job_id for a in applications}
    others = {t.recruiter_id for t in threads if t.status == Thread.Status.OPEN} - {
        request.user.pk,
        None,
    }
    return render(
        request,
        "web/candidate.html",
        {
            "person": person,
            "threads": threads,
            "timeline": timeline,
            "applications": applications,
            "consents": consents,
            "jobs": open_jobs,
            # The stage form: their applications first (a closed job's too), then the other
            # open jobs. Nothing chosen in advance: the recruiter names the job.
            "other_jobs": [j for j in open_jobs if j.pk not in applied],
            "stages": labels.STAGES,
            "stage_asked": _stage_asked(request, applications),
            "startable": STARTABLE,
            "channels": labels.CHANNELS,
            "outcomes": labels.CALL_OUTCOMES,
            "other_voices": bool(others),
            "confirm": request.GET.get("confirm") == "1",
            "memberships": PoolMember.objects.filter(candidate=person).select_related("pool"),
            "rhythms": Preference.objects.filter(candidate=person).order_by("topic"),
            "pools": Pool.objects.of(org).order_by("name")[:100],
            "purposes": labels.PURPOSES,
        },
    )


def _stage_asked(request: HttpRequest, applications: list[Application]) -> dict[str, Any]:
    """A stage change that goes back, sent back to be confirmed (`?stage_job&stage_to`)."""
    job, stage = request.GET.get("stage_job", ""), request.GET.get("stage_to", "")
    found = next((a for a in applications if str(a.job_id) == job), None)
    if found is None or stage not in labels.STAGES or not found.goes_back_to(stage):
        return {}
    return {"application": found, "stage": stage}


# What a recruiter can start from the candidate page, and the event that starts it.
STARTABLE = {
    Situation.FIRST_MESSAGE.value: (Channel.EMAIL, Channel.LINKEDIN, Channel.SMS),
    Situation.LINKEDIN_INVITATION.value: (Channel.LINKEDIN,),
    Situation.CV_DATABASE.value: (Channel.PHONE,),
    Situation.KEEP_IN_TOUCH.value: (Channel.EMAIL, Channel.LINKEDIN, Channel.SMS),
}


CANDIDATE_ACTIONS = ("start", "stage", "note", "call", "reply", "do_not_contact")


@require_POST
@scope.recruiter_page
def candidate_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """An action from the candidate page: each becomes one event for the services."""
    person = scope.candidate(request, pk)
    now = clock.now()
    user = scope.me(request)
    post = request.POST
    job = None
    if post.get("job"):
        if not post["job"].isdigit():
            return errors.bad_request(request, errors.whole_number("job", post["job"]))
        job = scope.job(request, int(post["job"]))
    event = Event(type=EventType.NOTE, at=now, candidate=person, recruiter=user, job=job)
    if action == "start":
        situation = post.get("situation", "")
        channels = STARTABLE.get(situation)
        channel = post.get("channel", "")
        if channels is None or channel not in channels:
            known = [f"{s} ({', '.join(c)})" for s, c in STARTABLE.items()]
            return errors.bad_request(
                request, errors.one_of("situation, channel", f"{situation}, {channel}", known)
            )
        event.situation = Situation(situation)
        event.channel = Channel(channel)
        event.confirmed = post.get("confirmed") == "1"
        done = _("Follow-up started.")
        if situation == Situation.LINKEDIN_INVITATION:
            event.type = EventType.INVITATION_ACCEPTED
        elif situation == Situation.CV_DATABASE:
            event.type, event.outcome = EventType.CALL, CallOutcome.NO_ANSWER
        else:
            event.type = EventType.MESSAGE_SENT
            # A first e-mail written in Relance leaves from Relance (the default); one the
            # recruiter sent from their own mailbox is only recorded.
            if (
                situation == Situation.FIRST_MESSAGE
                and channel == Channel.EMAIL
                and post.get("how", "send") == "send"
            ):
                event.send = True
                event.subject = post.get("subject", "").strip()[:300]
                event.body = post.get("body", "").strip()[:20000]
                problem = ""
                if Thread.objects.filter(
                    candidate=person,
                    situation=situation,
                    recruiter=user,
                    status=Thread.Status.OPEN,
                ).exists():
                    problem = _("You already follow this person up: its next step is on Today.")
                elif not person.email:
                    problem = _(
                        "This person has no e-mail address: choose another channel, or "
                        "record a message you sent yourself."
                    )
                elif bool(event.subject) != bool(event.body):
                    problem = _(
                        "Write both a subject and a message, or neither (the template is used)."
                    )
                if problem:
                    messages.error(request, _("Not done: %(why)s") % {"why": problem})
                    return redirect(reverse("web:candidate", args=[person.pk]) + "#start")
                done = _(
                    "Follow-up started: the first e-mail leaves from Relance with the "
                    "worker's next cycle, within sending hours."
                )
    elif action == "stage":
        stage = post.get("stage", "")
        if stage and stage not in labels.STAGES:
            return errors.bad_request(request, errors.one_of("stage", stage, labels.STAGES))
        if job is None or not stage:
            messages.error(request, _("Not done: choose the job, then its new stage."))
            return redirect(reverse("web:candidate", args=[person.pk]) + "#stage")
        current = Application.objects.filter(candidate=person, job=job).first()
        if current is not None and current.stage == stage:
            messages.info(request, _("Nothing changed: the application is at this stage already."))
            return redirect(reverse("web:candidate", args=[person.pk]) + "#stage")
        if current is not None and current.goes_back_to(stage) and post.get("confirmed") != "1":
            asked = f"?stage_job={job.pk}&stage_to={stage}#stage"
            return redirect(reverse("web:candidate", args=[person.pk]) + asked)
        event.type, event.outcome = EventType.STAGE_CHANGED, Stage(stage)
        done = _("Stage changed.")
    elif action == "note":
        event.body = post.get("body", "").strip()[:5000]
        if not event.body:
            messages.error(request, _("The note is empty."))
            return redirect("web:candidate", pk=person.pk)
        done = _("Note added.")
    elif action == "call":
        outcome = post.get("outcome", "")
        if outcome not in labels.CALL_OUTCOMES:
            return errors.bad_request(
                request, errors.one_of("outcome", outcome, labels.CALL_OUTCOMES)
            )
        event.type, event.outcome = EventType.CALL, outcome
        event.direction = "in" if post.get("direction") == "in" else "out"
        done = _("Call logged.")
    elif action == "reply":
        channel = post.get("channel") or "email"
        if channel not in labels.CHANNELS:
            return errors.bad_request(request, errors.one_of("channel", channel, labels.CHANNELS))
        event.type, event.channel = EventType.REPLY_RECEIVED, Channel(channel)
        event.body = post.get("body", "").strip()[:5000]
        done = _("Answer logged: every follow-up chasing an answer stops.")
    elif action == "do_not_contact":
        if post.get("sure") != "1":
            messages.error(request, _("Not done: tick the box to confirm."))
            return redirect("web:candidate", pk=person.pk)
        event.type = EventType.DO_NOT_CONTACT
        done = _("Marked “do not contact”: every follow-up stops, for every recruiter.")
    else:
        return errors.bad_request(request, errors.one_of("action", action, CANDIDATE_ACTIONS))
    try:
        record_event(event, now)
    except OneVoiceConflict as conflict:
        names = ", ".join(str(r) for r in conflict.others)
        messages.warning(
            request,
            _(
                "%(names)s already follows this person up. "
                "Confirm to start a follow-up of your own anyway."
            )
            % {"names": names},
        )
        return redirect(reverse("web:candidate", args=[person.pk]) + "?confirm=1#start")
    except (InputError, ValueError) as problem:
        messages.error(request, _("Not done: %(why)s") % {"why": problem})
        return redirect("web:candidate", pk=person.pk)
    if event.send:
        wake_local()  # a worker in this process (the demo's) sends it at once
    messages.success(request, done)
    return redirect("web:candidate", pk=person.pk)
