"""The candidate list (search, filters, orders, keyset pages, an approximate total, bulk
actions on a selection), creating and editing a candidate, one-click stars and tags, and the
candidate page. The rules are in people/candidates.py (the profile), pools/bulk.py (bulk
actions) and web/listing.py (the list's queries): these views read a request and answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relance import clock
from relance.engine import CallOutcome, Channel, Situation, Stage
from relance.errors import InputError
from relance.followups.events import Event, EventType
from relance.followups.models import Thread, Touchpoint
from relance.followups.services import OneVoiceConflict, record_event
from relance.people import candidates as profiles
from relance.people import contact, rights
from relance.people.models import (
    Application,
    AuditEntry,
    Candidate,
    Consent,
    Job,
    Organisation,
    Recruiter,
)
from relance.pools import bulk
from relance.pools.models import Pool, PoolMember, Preference
from relance.web import addresses, errors, labels, listing, scope
from relance.web import rows as rows_html
from relance.web.listing import PAGE, prefix_of  # noqa: F401 (jobs.py reads them here)
from relance.web.templatetags.relance import stars_text
from relance.web.views import exporting
from relance.worker import wake_local

# The most candidate rows one page view examines (about 25 ms on SQLite at a million).
WINDOW = 50_000
TIMELINE = 200


@require_GET
@scope.recruiter_page
def candidates(request: HttpRequest) -> HttpResponse:
    """A page of candidates in the order asked (newest first by default). Pages follow the
    last row shown (keyset), and one page view examines at most WINDOW rows: a filter that
    matches few candidates shows what it found there and offers to search further, instead
    of reading a whole million. No page counts every row: the total is exact for a small
    organisation, estimated from a sample otherwise (web/listing.py)."""
    org = scope.organisation(request)
    filters = listing.Filters.read(request.GET)
    if filters.problem:
        return errors.bad_request(request, filters.problem)
    cursor = listing.read_cursor(filters.sort, request.GET)
    if isinstance(cursor, str):
        return errors.bad_request(request, cursor)
    now = clock.now()
    rows = Candidate.objects.of(org)
    newest, oldest = listing.id_span(rows)
    page = listing.page_of(rows, filters, cursor, now, window=WINDOW, newest=newest,
                           oldest=oldest)  # fmt: skip
    if cursor.pk is None and page.next is None:
        total = listing.Total(len(page.rows), True)  # everything is on this page
    else:
        total = listing.total(rows, filters, now, newest=newest, oldest=oldest)
    furthest = listing.furthest_applications([c.pk for c in page.rows])
    for person in page.rows:
        person.furthest = furthest.get(person.pk)  # type: ignore[attr-defined]
    query = request.GET.copy()
    for name in ("after", "key"):
        query.pop(name, None)
    owners = list(Recruiter.objects.filter(organisation=org).order_by("first_name", "email"))
    here = request.get_full_path()
    return render(
        request,
        "web/candidates.html",
        {
            "page": page.rows,
            "rows": rows_html.candidate_rows(
                page.rows,
                csrf=get_token(request),
                here=here,
                prefix=addresses.prefix("web:candidate"),
                job_prefix=addresses.prefix("web:job"),
            ),
            "next_query": urlencode(page.next) if page.next else "",
            "searched_to": page.searched,
            "total": total,
            "total_text": number_format(
                total.n if total.exact else listing.rounded(total.n) or total.step,
                force_grouping=True,
            ),
            "filters": filters,
            "export": exporting.form_context(request),
            "query": query.urlencode(),
            "here": here,
            # The recruiters' <option>s, written once here: an agency of 200 recruiters
            # spent half the page's time on them in the template (two selects).
            "owner_options": format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((r.pk, " selected" if filters.owner == r.pk else "", str(r)) for r in owners),
            ),
            "active_owner_options": format_html_join(
                "",
                '<option value="{}">{}</option>',
                ((r.pk, str(r)) for r in owners if r.is_active),
            ),
            "pools": list(Pool.objects.of(org).order_by("name")[:100]),
            "plans": plans(),
            "stages": labels.STAGES,
            "sources": labels.SOURCES,
            "purposes": labels.PURPOSES,
            "sorts": labels.SORTS,
        },
    )


def newest_id(org: Organisation) -> int:
    newest = Candidate.objects.of(org).order_by("-pk").values_list("pk", flat=True).first()
    return newest or 0


def plans() -> list[tuple[str, str]]:
    """The follow-up plans a bulk action can start: (situation:channel, words)."""
    return [
        (f"{situation}:{channel.value}",
         f"{labels.situation(situation)} · {labels.label('channel', channel.value)}")
        for situation, channels in bulk.STARTABLE.items()
        for channel in channels
    ]  # fmt: skip


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
            "phone": contact.display_phone(person.phone, org.country),
            "here": request.get_full_path(),
            "rating": rows_html.rating(
                person,
                csrf=get_token(request),
                here=request.get_full_path(),
                prefix=addresses.prefix("web:candidate"),
            ),
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


# --- creating and editing a candidate ---------------------------------------------------


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def candidate_new(request: HttpRequest) -> HttpResponse:
    """A new candidate: every field of the profile, the organisation's language, time zone
    and country by default, the recruiter as owner. Refused whole, each problem beside its
    field, when one value is wrong (400); a duplicate e-mail links to the person who has it."""
    org = scope.organisation(request)
    if request.method == "POST":
        data = _typed(request.POST)
        try:
            person = profiles.create(org, data, scope.me(request), clock.now())
        except profiles.CandidateInvalid as invalid:
            return _profile_form(request, None, data, invalid, status=400)
        messages.success(request, _("Candidate added."))
        if person.do_not_contact_at is not None:
            messages.warning(
                request,
                _(
                    "This person once asked to be erased: they are marked “do not contact”, "
                    "and no follow-up will reach them."
                ),
            )
        return redirect("web:candidate", pk=person.pk)
    defaults = {
        "language": org.language, "timezone": org.timezone, "country": org.country,
        "owner": str(scope.me(request).pk), "stars": "0",
    }  # fmt: skip
    return _profile_form(request, None, defaults, None)


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def candidate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a candidate's profile: only what changed is written, in one transaction, and
    the audit log names the fields."""
    person = scope.candidate(request, pk)
    if request.method == "POST":
        data = _typed(request.POST)
        try:
            change = profiles.update(person, data, scope.me(request), clock.now(), via="form")
        except profiles.CandidateInvalid as invalid:
            return _profile_form(request, person, data, invalid, status=400)
        if change:
            names = ", ".join(str(profiles.FIELD_NAMES[f]) for f in change.fields)
            messages.success(request, _("Saved: %(fields)s.") % {"fields": names})
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("web:candidate", pk=person.pk)
    org = scope.organisation(request)
    shown = {
        name: ", ".join(getattr(person, name)) if name in LIST_FIELDS else getattr(person, name)
        for name in profiles.FIELDS
        if name != "owner"
    }
    shown["phone"] = contact.display_phone(person.phone, org.country)
    shown["owner"] = str(person.owner_id or "")
    shown["years_experience"] = (
        "" if person.years_experience is None else str(person.years_experience)
    )
    shown["stars"] = str(person.stars)
    return _profile_form(request, person, shown, None)


LIST_FIELDS = ("tags", "skills", "interests")


def _typed(post: Any) -> dict[str, str]:
    """The profile's fields as the form sent them (a field it did not send is left out)."""
    return {name: post.get(name, "") for name in profiles.FIELDS if name in post}


def _profile_form(
    request: HttpRequest,
    person: Candidate | None,
    values: dict[str, Any],
    invalid: profiles.CandidateInvalid | None,
    status: int = 200,
) -> HttpResponse:
    """The profile form, each field with its value, its hint and what is wrong with it."""
    org = scope.organisation(request)
    problems = invalid.problems if invalid else {}
    owners = Recruiter.objects.filter(organisation=org, is_active=True).order_by(
        "first_name", "email"
    )
    anything = _("— Choose —")
    choices: dict[str, Any] = {
        "language": [("fr", "Français"), ("en", "English")],
        "source": list(labels.SOURCES.items()),
        "stars": [(str(n), stars_text(n)) for n in range(profiles.MAX_STARS + 1)],
        "owner": [(str(r.pk), str(r)) for r in owners],
        "seniority": list(labels.SENIORITIES.items()),
        "preferred_channel": list(labels.CHANNELS.items()),
    }
    blanks = {"source": anything, "owner": _("Nobody"), "seniority": "—", "preferred_channel": "—"}
    hints = {
        "phone": _("Without the country code, a number of their country (%(example)s).")
        % {"example": contact.example_phone(org.country)},
        "linkedin_url": "https://www.linkedin.com/in/…",
        "timezone": _("An IANA name, like Europe/Paris."),
        "country": _("Two letters (ISO 3166), like FR: their public holidays."),
        "location": _("A city or a region."),
        "company": _("Their current employer."),
        "tags": _("Separated by commas."),
        "skills": _("Separated by commas."),
        "interests": _("Separated by commas."),
        "hook": _("A line a follow-up can pick up: “your talk on Kotlin at Devoxx”."),
    }
    kinds = {"email": "email", "phone": "tel", "years_experience": "number"}
    limits = {
        **profiles.TEXT_LIMITS, "email": 254, "phone": 40, "linkedin_url": 300, "timezone": 64,
        "country": 2, "tags": 1000, "skills": 3000, "interests": 3000,
    }  # fmt: skip

    def field(name: str) -> dict[str, Any]:
        hint, problem = hints.get(name, ""), problems.get(name, "")
        described = " ".join(
            f"{prefix}-{name}" for prefix, text in (("h", hint), ("e", problem)) if text
        )
        return {
            "name": name, "label": profiles.FIELD_NAMES[name], "value": values.get(name, ""),
            "problem": problem, "hint": hint, "describedby": described,
            "kind": kinds.get(name, "text"), "max": limits.get(name),
            "choices": choices.get(name), "blank": blanks.get(name, ""),
            "list": {"timezone": "zones", "country": "countries"}.get(name, ""),
            "required": name in ("first_name", "source"),
        }  # fmt: skip

    groups = [
        (_("Who"), "", ("first_name", "last_name", "desired_role", "company", "location")),
        (_("How to reach them"), _("At least one of these."),
         ("email", "phone", "linkedin_url", "preferred_channel")),
        (_("Where and when"), "", ("language", "timezone", "country")),
        (_("For the recruiters"), "", ("source", "stars", "owner", "tags")),
        (_("Profile"), "", ("skills", "years_experience", "seniority", "interests", "hook")),
    ]  # fmt: skip
    shown = [
        {"field": name if name in profiles.FIELDS else "", "label": profiles.FIELD_NAMES[name],
         "message": message}
        for name, message in problems.items()
    ]  # fmt: skip
    return render(
        request,
        "web/candidate_form.html",
        {
            "person": person,
            "groups": [
                {"legend": legend, "note": note, "fields": [field(n) for n in names]}
                for legend, note, names in groups
            ],
            "problems": shown,
            "duplicate": invalid.duplicate if invalid else None,
            "zones": sorted(profiles.time_zones().values()),
            "countries": sorted(profiles.countries()),
        },
        status=status,
    )


# --- one click: stars and tags ---------------------------------------------------------


def _back(request: HttpRequest, person: Candidate) -> str:
    """Where a one-click action returns: the page it was made on (the list with its filters,
    or the candidate's page), never another site."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("web:candidate", args=[person.pk])


def _via(request: HttpRequest) -> str:
    """Which door a click came through, for the audit log: the list or the page."""
    path = urlsplit(request.POST.get("next", "")).path
    return "list" if path == reverse("web:candidates") else "page"


@require_POST
@scope.recruiter_page
def candidate_stars(request: HttpRequest, pk: int) -> HttpResponse:
    """Rate a candidate in one click (`stars` = 0 to 3), from the list or their page. From
    the list with htmx, the stars come back in place."""
    person = scope.candidate(request, pk)
    raw = request.POST.get("stars", "")
    if not raw.isdigit() or int(raw) > profiles.MAX_STARS:
        return errors.bad_request(request, errors.one_of("stars", raw, "0123"))
    try:
        profiles.set_stars(person, raw, scope.me(request), clock.now(), via=_via(request))
    except profiles.CandidateInvalid as invalid:
        return errors.bad_request(request, invalid.describe())
    if request.headers.get("HX-Request"):
        return HttpResponse(
            rows_html.rating(
                person,
                csrf=get_token(request),
                here=request.POST.get("next", ""),
                prefix=addresses.prefix("web:candidate"),
                focus=int(raw),
            )
        )
    return redirect(_back(request, person) + f"#rating-{person.pk}")


@require_POST
@scope.recruiter_page
def candidate_tags(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a tag (`add`, several separated by commas) or remove one (`remove`) on the
    candidate's page; each tag normalised (lower case, single spaces)."""
    person = scope.candidate(request, pk)
    add = profiles.split_list(request.POST.get("add", ""))
    remove = [request.POST["remove"]] if request.POST.get("remove") else []
    if not add and not remove:
        messages.error(request, _("Not done: type a tag to add."))
        return redirect(_back(request, person) + "#tags")
    try:
        change = profiles.change_tags(person, scope.me(request), clock.now(), add=add,
                                      remove=remove, via=_via(request))  # fmt: skip
    except profiles.CandidateInvalid as invalid:
        messages.error(request, _("Not done: %(why)s") % {"why": invalid.describe()})
        return redirect(_back(request, person) + "#tags")
    if change:
        messages.success(request, _("Tags saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect(_back(request, person) + "#tags")


# --- bulk actions on a selection -------------------------------------------------------


@require_POST
@scope.recruiter_page
def candidates_bulk(request: HttpRequest) -> HttpResponse:
    """An action on the candidates ticked on the list (`ids`): `action` = `tag_add`,
    `tag_remove` (`tag`), `owner` (`owner`: an id, or empty for nobody), `pool` (`pool`),
    `follow_up` (`plan` = situation:channel, `how` = send or sent for a first e-mail,
    `confirmed`), `do_not_contact` (`sure=1`). Answers with what was done, what changed
    nothing and what was refused, per person. Another organisation's candidate, recruiter or
    pool in the request is a 404, and nothing is done."""
    org = scope.organisation(request)
    me, now = scope.me(request), clock.now()
    post = request.POST
    action = post.get("action", "")
    if action not in bulk.ACTIONS:
        return errors.bad_request(request, errors.one_of("action", action, bulk.ACTIONS))
    raw_ids = post.getlist("ids")
    bad = next((i for i in raw_ids if not i.isdigit()), None)
    if bad is not None:
        return errors.bad_request(request, errors.whole_number("ids", bad))
    ids = list(dict.fromkeys(int(i) for i in raw_ids))
    back = post.get("next", "")
    if not (
        back.startswith(reverse("web:candidates"))
        and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    ):
        back = reverse("web:candidates")
    if not ids:
        messages.error(request, _("Not done: tick at least one candidate first."))
        return redirect(back)
    if len(ids) > bulk.MOST:
        return errors.bad_request(
            request,
            _("ids: %(n)s candidates: at most %(max)s at once.")
            % {"n": len(ids), "max": bulk.MOST},
        )
    found = {c.pk: c for c in Candidate.objects.of(org).filter(pk__in=ids).select_related(
        "organisation", "owner")}  # fmt: skip
    if len(found) != len(ids):
        raise Http404("a candidate of another organisation, or none")
    people = [found[i] for i in ids]
    if action in ("tag_add", "tag_remove"):
        try:
            report = bulk.tag(people, post.get("tag", ""), add=action == "tag_add", actor=me,
                              now=now)  # fmt: skip
        except ValueError as problem:
            return errors.bad_request(request, _("tag: %(why)s") % {"why": problem})
    elif action == "owner":
        raw = post.get("owner", "")
        if raw and not raw.isdigit():
            return errors.bad_request(request, errors.whole_number("owner", raw))
        owner = scope.colleague(request, int(raw)) if raw else None
        if owner is not None and not owner.is_active:
            return errors.bad_request(request, _("owner: this recruiter was deactivated."))
        report = bulk.assign_owner(people, owner, actor=me, now=now)
    elif action == "pool":
        raw = post.get("pool", "")
        if not raw.isdigit():
            return errors.bad_request(request, errors.whole_number("pool", raw))
        pool = get_object_or_404(Pool.objects.of(org), pk=int(raw))
        report = bulk.add_to_pool(people, pool, actor=me, now=now)
    elif action == "follow_up":
        plan = post.get("plan", "")
        situation, _sep, channel = plan.partition(":")
        known = [code for code, _words in plans()]
        if plan not in known:
            return errors.bad_request(request, errors.one_of("plan", plan, known))
        how = post.get("how", "send")
        if how not in ("send", "sent"):
            return errors.bad_request(request, errors.one_of("how", how, ("send", "sent")))
        report = bulk.start_follow_up(people, situation, channel, send=how == "send",
                                      confirmed=post.get("confirmed") == "1", actor=me,
                                      now=now)  # fmt: skip
        if report.sent:
            wake_local()  # a worker in this process (the demo's) sends them at once
    else:
        if post.get("sure") != "1":
            messages.error(
                request,
                _("Not done: tick the box to confirm they asked never to be contacted again."),
            )
            return redirect(back)
        report = bulk.do_not_contact(people, actor=me, now=now)
    return render(
        request,
        "web/candidates_bulk.html",
        {
            "report": report,
            "back": back,
            "action_name": labels.label("bulk", action),
            "plan": post.get("plan", ""),
            "how": post.get("how", "send"),
            "summary": _summary(report),
        },
    )


def _summary(report: bulk.Report) -> list[str]:
    said = []
    for outcomes, words in (
        (report.done, ngettext("%(n)s done", "%(n)s done", len(report.done))),
        (report.unchanged, ngettext("%(n)s unchanged", "%(n)s unchanged", len(report.unchanged))),
        (report.refused, ngettext("%(n)s refused", "%(n)s refused", len(report.refused))),
        (report.to_confirm, ngettext("%(n)s to confirm", "%(n)s to confirm",
                                     len(report.to_confirm))),
    ):  # fmt: skip
        if outcomes:
            said.append(words % {"n": len(outcomes)})
    return said
