"""Message templates: the built-in ones and the organisation's own, an editor with a live
preview on a real candidate, and checks shown before saving."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relance import clock
from relance.messaging import checks, compose
from relance.messaging.models import Template
from relance.messaging.render import LANGUAGES, Source, TemplateProblem, builtin
from relance.messaging.render import render as render_template
from relance.people.models import Candidate, Organisation
from relance.web import scope

PROBLEMS = {
    "syntax": gettext_noop("Syntax error: %(detail)s"),
    "unknown_variable": gettext_noop("Unknown variable: %(detail)s. It would fail when sending."),
    "missing_value": gettext_noop("A value is missing: %(detail)s"),
    "repeats_previous": gettext_noop(
        "Nearly identical to the step before (%(detail)s alike): "
        "candidates would read the same message twice."
    ),
    "ignores_previous": gettext_noop(
        "This follow-up does not refer to the previous message "
        "({{ previous.date }}, {{ previous.subject }}…)."
    ),
}


@require_GET
@scope.recruiter_page
def templates(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    own = set(Template.objects.of(org).values_list("name", "language"))
    names = sorted({name for name, _lang in builtin()} | {name for name, _lang in own})
    rows = [(name, [(lang, (name, lang) in own) for lang in LANGUAGES]) for name in names]
    return render(request, "web/templates.html", {"rows": rows})


def _sources(org: Organisation, name: str, language: str) -> tuple[Source, Source | None]:
    if language not in LANGUAGES:
        raise Http404("unknown language")
    try:
        current = compose.template_source(org, name, language)
    except TemplateProblem:
        raise Http404("no such template") from None
    before = None
    step = checks.step_of(name)
    if step is not None and step[1] >= 1:
        try:
            before = compose.template_source(org, f"{step[0]}.{step[1] - 1}.{step[2]}", language)
        except TemplateProblem:
            before = None
    return current, before


def _sample(request: HttpRequest, org: Organisation, language: str) -> Candidate | None:
    raw = request.GET.get("candidate") or request.POST.get("candidate") or ""
    rows = Candidate.objects.of(org)
    if raw.isdigit():
        return scope.candidate(request, int(raw))
    return rows.filter(language=language).order_by("-pk").first() or rows.order_by("-pk").first()


def _variables(org: Organisation, person: Candidate | None, me: Any, name: str) -> dict[str, Any]:
    step = checks.step_of(name)
    if person is None:
        person = Candidate(
            organisation=org, first_name="Camille", last_name="Martin", created_at=clock.now()
        )
    previous = compose.previous_message(
        at=clock.now(), channel=step[2] if step else "email", subject="…", body="…",
        thread_subject=_("Your next move"), candidate=person,
    ) if step and step[1] >= 1 else None  # fmt: skip
    return compose.context(
        organisation=org, candidate=person, recruiter=me, job=None, previous=previous,
        step=step[1] if step else None,
    )  # fmt: skip


def _checked(request: HttpRequest, name: str, language: str) -> dict[str, Any]:
    org = scope.organisation(request)
    current, before = _sources(org, name, language)
    if request.method == "POST":
        current = Source(
            name, language, request.POST.get("subject", ""), request.POST.get("body", "")
        )
    person = _sample(request, org, language)
    variables = _variables(org, person, scope.me(request), name)
    problems = checks.check(current, before, variables)
    preview = None
    if not any(p.blocking for p in problems):
        preview = render_template(current, variables)
    return {
        "name": name,
        "language": language,
        "source": current,
        "preview": preview,
        "problems": [(p.blocking, _(PROBLEMS[p.code]) % {"detail": p.detail}) for p in problems],
        "blocking": any(p.blocking for p in problems),
        "sample": person,
        "own": Template.objects.of(org).filter(name=name, language=language).exists(),
    }


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def template(request: HttpRequest, name: str, language: str) -> HttpResponse:
    context = _checked(request, name, language)
    if request.method == "POST":
        if context["blocking"]:
            messages.error(request, _("Not saved: fix the problems shown first."))
        else:
            org = scope.organisation(request)
            Template.objects.update_or_create(
                organisation=org, name=name, language=language,
                defaults={"subject": context["source"].subject, "body": context["source"].body,
                          "updated_at": clock.now(), "updated_by": scope.me(request)},
            )  # fmt: skip
            messages.success(request, _("Template saved: it is used from the next message on."))
            return redirect("web:template", name=name, language=language)
    return render(request, "web/template.html", context)


@require_POST
@scope.recruiter_page
def preview(request: HttpRequest, name: str, language: str) -> HttpResponse:
    return render(request, "web/partials/preview.html", _checked(request, name, language))


@require_POST
@scope.recruiter_page
def reset(request: HttpRequest, name: str, language: str) -> HttpResponse:
    Template.objects.of(scope.organisation(request)).filter(name=name, language=language).delete()
    messages.success(request, _("Back to the built-in template."))
    return redirect("web:template", name=name, language=language)
