"""The intake pages.

Public, no login (docs/intake.md):
- /careers/<org>/                 the organisation's open jobs, a link to the talent pool;
- /careers/<org>/<job>/           a job's full text and its apply form (then …/sent/);
- /careers/<org>/talent-pool/     the open talent-pool sign-up (then …/sent/);
- /c/signup/<token>/              the confirmation link of a sign-up (a button: a mail
                                  scanner that opens links confirms nothing).
Each speaks the visitor's language (?lang=fr|en switches). An unknown organisation, or a
job that is not open or not theirs, is a 404.

Recruiters, on the candidate page: /candidates/<id>/cvs/ adds a CV (POST), and
/candidates/<id>/cvs/<cv>/ downloads one — both scoped to the recruiter's organisation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relance import clock
from relance.intake import apply, cvs, documents, public, signup, throttle, uploads
from relance.intake.forms import ApplyForm, SignUpForm
from relance.intake.models import CV
from relance.people import rights
from relance.people.models import AuditEntry, Job, Organisation
from relance.pools import consent
from relance.web import labels, scope, signin
from relance.worker import wake_local


def _organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug)


def _open_jobs(organisation: Organisation) -> Any:
    return Job.objects.of(organisation).filter(status=Job.Status.OPEN)


def _page(language: str, **more: Any) -> dict[str, Any]:
    return {"language": language, "other_language": "en" if language == "fr" else "fr", **more}


def _message(
    request: HttpRequest, language: str, title: str, text: str, status: int = 200, **more: Any
) -> HttpResponse:
    context = {"title": title, "message": text, "language": language, **more}
    return render(request, "pools/public_message.html", context, status=status)


def _too_many(request: HttpRequest, language: str) -> HttpResponse:
    return _message(
        request, language, _("Too many attempts"),
        _("This form was sent too often from here or for this address. Try again in an hour."),
        status=429,
    )  # fmt: skip


@require_GET
def careers(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(slug)
    language = public.language(request)
    with translation.override(language):
        jobs = list(_open_jobs(organisation).order_by("-created_at", "-pk")[:200])
        return render(
            request,
            "intake/careers.html",
            _page(language, organisation=organisation, jobs=jobs, contracts=labels.CONTRACTS),
        )


@require_http_methods(["GET", "POST"])
def job(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _organisation(slug)
    opening = get_object_or_404(_open_jobs(organisation).select_related("organisation"), pk=pk)
    language = public.language(request)
    with translation.override(language):
        context = _page(
            language,
            organisation=organisation,
            job=opening,
            contracts=labels.CONTRACTS,
            notice=public.notice(organisation),
            pool_wording=consent.wording("talent_pool", language, organisation.name),
        )
        if request.method == "GET":
            return render(request, "intake/job.html", {**context, "form": ApplyForm(organisation)})
        now = clock.now()
        sent = reverse("intake:applied", args=[slug, pk]) + f"?lang={language}"
        form = ApplyForm(organisation, request.POST)
        if form.is_bot:
            return redirect(sent)  # the same answer as a real application; nothing kept
        ip = signin.client_address(request) or ""
        if not throttle.allow(organisation, now, email="", ip=ip):
            return _too_many(request, language)
        cv_problem, received = "", None
        valid = form.is_valid()
        try:
            received = documents.receive(request.FILES.get("cv"), uploads.too_large(request, "cv"))
        except cvs.Refused as refused:
            cv_problem = refused.message()
        if not valid or received is None:
            context.update(form=form, cv_problem=cv_problem)
            return render(request, "intake/job.html", context, status=400)
        if not throttle.allow(organisation, now, email=form.cleaned_data["email"], ip=""):
            return _too_many(request, language)
        data = form.cleaned_data
        applied = apply.Applied(
            first_name=data["first_name"].strip(), last_name=data["last_name"].strip(),
            email=data["email"], phone=data["phone"], message=data["message"].strip(),
            pool=bool(data["pool"]), language=language,
        )  # fmt: skip
        apply.submit(opening, applied, received, now)
        wake_local()  # a worker in this process (the demo's) sends the acknowledgement now
        return redirect(sent)


@require_GET
def applied(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _organisation(slug)
    # Only for one of its jobs (closed since, too): another's id is a 404 like everywhere.
    get_object_or_404(Job.objects.of(organisation), pk=pk)
    language = public.language(request)
    with translation.override(language):
        return _message(
            request, language, _("Thank you, your application is sent"),
            _("%(company)s received it. An e-mail confirms it to you, and a recruiter will "
              "get back to you soon.") % {"company": organisation.name},
            next_link=reverse("intake:careers", args=[slug]) + f"?lang={language}",
            next_text=_("See the other jobs"),
        )  # fmt: skip


@require_http_methods(["GET", "POST"])
def signup_form(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(slug)
    language = public.language(request)
    with translation.override(language):
        form = SignUpForm(organisation, request.POST if request.method == "POST" else None)
        if request.method == "POST":
            now = clock.now()
            sent = reverse("intake:signup_sent", args=[slug]) + f"?lang={language}"
            if form.is_bot:
                return redirect(sent)
            ip = signin.client_address(request) or ""
            if not throttle.allow(organisation, now, email="", ip=ip):
                return _too_many(request, language)
            if form.is_valid():
                if not throttle.allow(organisation, now, email=form.cleaned_data["email"], ip=""):
                    return _too_many(request, language)
                data = form.cleaned_data
                signup.submit(
                    organisation,
                    signup.Asked(
                        first_name=data["first_name"].strip(),
                        last_name=data["last_name"].strip(),
                        email=data["email"],
                        purposes=data["purposes"],
                        frequencies=data["frequencies"],
                        language=language,
                    ),
                    now,
                )
                wake_local()
                return redirect(sent)
        chosen = set(request.POST.getlist("purpose")) if request.method == "POST" else set()
        context = _page(
            language,
            organisation=organisation,
            form=form,
            notice=public.notice(organisation),
            purposes=_purposes(organisation, language, chosen),
            topics=_topics(request),
        )
        return render(request, "intake/signup.html", context, status=400 if form.is_bound else 200)


def _purposes(organisation: Organisation, language: str, chosen: set[str]) -> list[Any]:
    names = {
        "talent_pool": _("Stay in the talent pool"),
        "job_alerts": _("Receive job offers that match me"),
        "newsletter": _("Receive news from the company"),
    }
    return [
        {
            "code": purpose,
            "name": names[purpose],
            "text": consent.wording(purpose, language, organisation.name),
            "checked": purpose in chosen,
        }
        for purpose in consent.WORDING
    ]


def _topics(request: HttpRequest) -> list[Any]:
    return [
        {
            "code": code,
            "name": name,
            "choices": [(f, labels.FREQUENCIES[f]) for f in consent.CHOICES[code]],
            "chosen": request.POST.get(f"topic_{code}") or consent.DEFAULT[code],
        }
        for code, name in labels.TOPICS.items()
    ]


@require_GET
def signup_sent(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(slug)
    language = public.language(request)
    with translation.override(language):
        return _message(
            request, language, _("Check your mailbox"),
            _("If the address is right, an e-mail from %(company)s is on its way: open its "
              "link within 7 days to confirm. Until you confirm, nothing is recorded.")
            % {"company": organisation.name},
        )  # fmt: skip


PROBLEM_STATUS = {"tampered": 400, "expired": 410, "used": 410, "gone": 410}


@csrf_exempt  # the signed, single-use link is the proof (no session to protect)
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    now = clock.now()
    asked = request.GET.get("lang", "")
    try:
        pending = signup.read(token, now)
    except signup.Problem as problem:
        language = asked if asked in ("fr", "en") else problem.language or public.language(request)
        return _link_problem(request, problem.why, language)
    language = asked if asked in ("fr", "en") else pending.language
    company = pending.organisation.name
    with translation.override(language):
        if request.method == "GET":
            return _message(
                request, language, _("Confirm that you join the talent pool"),
                _("Press the button to confirm what you chose on the form of %(company)s.")
                % {"company": company},
                button=_("I confirm"),
            )  # fmt: skip
        try:
            person = signup.confirm(pending, now)
        except signup.Problem as problem:
            return _link_problem(request, problem.why, language)
        return _message(
            request, language, _("Thank you, your choices are saved"),
            _("%(company)s will write to you only about what you chose, and as often as you "
              "chose. You can change this at any time.") % {"company": company},
            next_link=signup.preferences_path(person, now),
            next_text=_("Change my choices later"),
        )  # fmt: skip


def _link_problem(request: HttpRequest, why: str, language: str) -> HttpResponse:
    with translation.override(language):
        title, text = {
            "tampered": (
                _("This link does not work"),
                _("It is incomplete or was changed. Use the whole link from our e-mail."),
            ),
            "expired": (
                _("This link has expired"),
                _("Sign up again on the form: we will send you a new link."),
            ),
            "used": (
                _("This link was already used"),
                _(
                    "Your choices were recorded the first time. To change them, use the "
                    "preference centre link at the bottom of our e-mails."
                ),
            ),
            "gone": (
                _("We no longer hold your data"),
                _("There is nothing to change: we no longer keep any data about you."),
            ),
        }[why]
        return _message(request, language, title, text, status=PROBLEM_STATUS[why])


# --- recruiters: the candidate page's CVs ----------------------------------------------------


@require_POST
@scope.recruiter_page
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    person = scope.candidate(request, pk)
    me, now = scope.me(request), clock.now()
    back = reverse("web:candidate", args=[person.pk]) + "#cvs"
    try:
        received = documents.receive(request.FILES.get("cv"), uploads.too_large(request, "cv"))
    except cvs.Refused as refused:
        messages.error(request, _("CV not added: %(why)s") % {"why": refused.message()})
        return redirect(back)
    with documents.stored(received, person.organisation_id) as name, transaction.atomic():
        cv = documents.record(person, received, name, me, now)
        rights.audit(person, me, AuditEntry.Action.CHANGED, now, cv=cv.pk, added="cv")
    if cv.problem:
        messages.warning(
            request,
            _("CV added, but its text could not be read: %(why)s")
            % {"why": PROBLEMS.get(cv.problem, cv.problem)},
        )
    else:
        messages.success(request, _("CV added."))
    return redirect(back)


@require_GET
@scope.recruiter_page
def download(request: HttpRequest, pk: int, cv: int) -> HttpResponse:
    person = scope.candidate(request, pk)
    document = get_object_or_404(
        CV.objects.of(scope.organisation(request)), pk=cv, candidate=person
    )
    try:
        content = default_storage.open(document.file.name, "rb")
    except OSError:
        raise Http404("the file is missing from storage") from None
    rights.audit(person, scope.me(request), AuditEntry.Action.VIEWED, clock.now(), cv=document.pk)
    return FileResponse(
        content,
        as_attachment=True,
        filename=document.original_name,
        content_type=documents.CONTENT_TYPE[document.kind],
    )


# Why a CV's text could not be read, as the recruiter reads it.
PROBLEMS = {
    "no_text": gettext_lazy("no text in it (a scanned image?)"),
    "encrypted": gettext_lazy("protected by a password"),
    "corrupted": gettext_lazy("the file is damaged"),
    "too_large": gettext_lazy("it expands far beyond its size (a compressed bomb?)"),
}
