"""Jobs: the list, a job's form (create, edit), closing and reopening, and its page — the
pipeline by stage, read a bounded number of cards at a time, with the candidate-experience
figures of the job and a search to add a candidate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relance import clock
from relance.errors import InputError
from relance.followups import experience, pipeline
from relance.people import jobs as job_service
from relance.people.models import Application, Candidate, Interview, Job, Recruiter
from relance.web import errors, labels, scope
from relance.web import rows as rows_html
from relance.web.views.candidates import WINDOW, newest_id, prefix_of
from relance.web.views.matching import requirement_rows

# Cards shown per column at first; "show more" brings the next ones, this many at a time.
PER_COLUMN = 10
PER_PAGE = 50
FOUND = 10  # candidates a search to add one shows
EXPERIENCE_DAYS = 90


@require_GET
@scope.recruiter_page
def jobs(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    rows = list(Job.objects.of(org).select_related("owner").order_by("status", "-created_at")[:200])
    counts: dict[int, dict[str, int]] = {}
    for job_id, stage, n in (
        Application.objects.filter(job__in=rows)
        .values_list("job_id", "stage")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.setdefault(job_id, {})[stage] = n
    table = [(job, [(s, counts.get(job.pk, {}).get(s, 0)) for s in labels.STAGES]) for job in rows]
    now = clock.now()
    seen = experience.measure(org, now - timedelta(days=EXPERIENCE_DAYS), now)
    return render(
        request,
        "web/jobs.html",
        {"table": table, "stages": labels.STAGES, "experience": seen},
    )


# --- a job's form --------------------------------------------------------------------------


class JobForm(forms.Form):
    """A job as a recruiter writes it. Every refusal names the field, in their language."""

    title = forms.CharField(max_length=job_service.LIMITS["title"], label=gettext_lazy("Title"))
    client = forms.CharField(
        max_length=job_service.LIMITS["client"], required=False, label=gettext_lazy("Client")
    )
    location = forms.CharField(
        max_length=job_service.LIMITS["location"], required=False, label=gettext_lazy("Location")
    )
    contract = forms.ChoiceField(required=False, label=gettext_lazy("Contract"))
    owner = forms.ModelChoiceField(
        queryset=Recruiter.objects.none(), required=False, label=gettext_lazy("Recruiter in charge")
    )
    family = forms.CharField(
        max_length=job_service.LIMITS["family"], required=False, label=gettext_lazy("Job family")
    )
    description = forms.CharField(
        max_length=job_service.LIMITS["description"], required=False, strip=False,
        label=gettext_lazy("Full text"), widget=forms.Textarea,
    )  # fmt: skip

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contract = self.fields["contract"]
        assert isinstance(contract, forms.ChoiceField)
        contract.choices = [("", "—"), *labels.CONTRACTS.items()]
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = Recruiter.objects.filter(
            organisation=organisation, is_active=True
        ).order_by("first_name", "email")
        owner.error_messages["invalid_choice"] = _("Choose a recruiter of your organisation.")

    def values(self) -> job_service.JobFields:
        data = self.cleaned_data
        return job_service.JobFields(
            title=data["title"], description=data["description"], client=data["client"],
            location=data["location"], contract=data["contract"], owner=data["owner"],
            family=data["family"],
        )  # fmt: skip


def _initial(job: Job) -> dict[str, Any]:
    return {
        "title": job.title, "client": job.client, "location": job.location,
        "contract": job.contract, "owner": job.owner_id, "family": job.family,
        "description": job.description,
    }  # fmt: skip


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def job_new(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    me = scope.me(request)
    form = JobForm(request.POST or None, organisation=org, initial={"owner": me.pk})
    if request.method == "POST" and form.is_valid():
        try:
            job = job_service.create(org, form.values(), me, clock.now())
        except InputError as problem:  # a door the form guards already: said, not hidden
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Job created."))
            return redirect("web:job", pk=job.pk)
    return render(request, "web/job_form.html", {"form": form, "job": None}, status=_status(form))


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def job_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = scope.organisation(request)
    one = scope.job(request, pk)
    form = JobForm(request.POST or None, organisation=org, initial=_initial(one))
    if request.method == "POST" and form.is_valid():
        try:
            changed = job_service.change(one, form.values(), scope.me(request), clock.now())
        except InputError as problem:
            form.add_error(None, str(problem))
        else:
            if changed:
                messages.success(request, _("Job saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("web:job", pk=one.pk)
    return render(
        request,
        "web/job_form.html",
        {"form": form, "job": one, "history": job_service.history(one)},
        status=_status(form),
    )


def _status(form: forms.Form) -> int:
    return 400 if form.is_bound and form.errors else 200


@require_POST
@scope.recruiter_page
def job_close(request: HttpRequest, pk: int) -> HttpResponse:
    one = scope.job(request, pk)
    if job_service.close(one, scope.me(request), clock.now()):
        active = (
            Application.objects.filter(job=one)
            .exclude(stage__in=["hired", "rejected", "withdrawn"])
            .count()
        )
        text = _("Job closed: it takes no new candidate.")
        if active:
            text += " " + _("%(n)s candidate(s) still in its process: each is owed an answer.") % {
                "n": active
            }
        messages.success(request, text)
    else:
        messages.info(request, _("The job was closed already."))
    return redirect("web:job", pk=one.pk)


@require_POST
@scope.recruiter_page
def job_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    one = scope.job(request, pk)
    if job_service.reopen(one, scope.me(request), clock.now()):
        messages.success(request, _("Job reopened."))
    else:
        messages.info(request, _("The job was open already."))
    return redirect("web:job", pk=one.pk)


# --- a job's page: the pipeline --------------------------------------------------------------


@require_GET
@scope.recruiter_page
def job(request: HttpRequest, pk: int) -> HttpResponse:
    org = scope.organisation(request)
    one = scope.job(request, pk)
    now = clock.now()
    columns, ends = pipeline.board(one, PER_COLUMN)
    planned = _planned([a for column in [*columns, *ends] for a in column.cards], now)
    csrf = get_token(request)
    q = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "web/job.html",
        {
            "job": one,
            "columns": [(c, rows_html.cards(c.cards, csrf=csrf, planned=planned)) for c in columns],
            "ends": [(c, rows_html.cards(c.cards, csrf=csrf, planned=planned)) for c in ends],
            "total": sum(c.count for c in [*columns, *ends]),
            "stages": labels.STAGES,
            "addable": {s.value: labels.STAGES[s.value] for s in pipeline.ADDABLE},
            "experience": experience.measure(
                org, now - timedelta(days=EXPERIENCE_DAYS), now, job=one
            ),
            "experience_days": EXPERIENCE_DAYS,
            "q": q,
            "found": _search(org, one, q) if q else None,
            "list_url": reverse("web:candidates") + "?" + urlencode({"q": q}),
            "to_confirm": _to_confirm(one, now),
            "requirements": requirement_rows(one),
            "now": now,
        },
    )


def _planned(applications: list[Application], now: Any) -> dict[int, list[Interview]]:
    """The planned interviews of the cards shown, in one query."""
    out: dict[int, list[Interview]] = {}
    if not applications:
        return out
    rows = Interview.objects.filter(
        application_id__in=[a.pk for a in applications], status=Interview.Status.SCHEDULED
    ).order_by("at")
    for interview in rows:
        interview.past = interview.at <= now  # type: ignore[attr-defined]
        out.setdefault(interview.application_id, []).append(interview)
    return out


def _to_confirm(job: Job, now: Any) -> list[Interview]:
    """Interviews of this job whose time has come and that nobody said took place (or
    not): the feedback deadline starts when a recruiter says so."""
    return list(
        Interview.objects.filter(
            organisation_id=job.organisation_id,
            application__job=job,
            status=Interview.Status.SCHEDULED,
            at__lte=now,
        )
        .select_related("application__candidate", "interviewer")
        .order_by("at")[:20]
    )


def _search(org: Any, job: Job, q: str) -> list[tuple[Candidate, str]]:
    """Candidates to add, found as the candidate list finds them (names and e-mail, folded:
    candidates.prefix_of) among the newest WINDOW; each with their stage on this job, if
    they are on it already."""
    words = q.split()[:4]
    rows = Candidate.objects.of(org).filter(pk__gte=max(0, newest_id(org) - WINDOW))
    for word in words:
        rows = rows.filter(prefix_of(word))
    found = list(
        rows.order_by("-pk").only("pk", "first_name", "last_name", "email", "stars")[:FOUND]
    )
    stages = dict(
        Application.objects.filter(job=job, candidate__in=found).values_list(
            "candidate_id", "stage"
        )
    )
    return [(c, stages.get(c.pk, "")) for c in found]


@require_GET
@scope.recruiter_page
def job_stage(request: HttpRequest, pk: int, stage: str) -> HttpResponse:
    """One column of the pipeline, PER_PAGE cards at a time after a cursor: the page of
    "show more" (its cards alone when htmx asks, appended in place)."""
    one = scope.job(request, pk)
    if stage not in labels.STAGES:
        return errors.bad_request(request, errors.one_of("stage", stage, labels.STAGES))
    after = request.GET.get("after", "")
    try:
        shown, more = pipeline.cards(one, stage, PER_PAGE, after)
    except InputError as problem:
        return errors.bad_request(request, str(problem))
    context = {
        "job": one,
        "stage": stage,
        "cards": shown,
        "cards_html": rows_html.cards(
            shown, csrf=get_token(request), planned=_planned(shown, clock.now())
        ),
        "more": more,
        "stages": labels.STAGES,
        "count": Application.objects.filter(job=one, stage=stage).count(),
        "rest": pipeline.remaining(one, stage, more) if more else 0,
    }
    if request.headers.get("HX-Request"):
        return render(request, "web/partials/cards.html", context)
    return render(request, "web/job_stage.html", context)


def job_url(job_id: int, application_id: int | None = None) -> str:
    url = reverse("web:job", args=[job_id])
    return f"{url}#app-{application_id}" if application_id else url
