"""Message templates: the built-in ones and the organisation's own, an editor with a live
preview on a real candidate, and checks shown before saving."""

from __future__ import annotations

import re
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
from relance.web import labels, scope

PROBLEMS = {
    "syntax": gettext_noop("Syntax error on line %(line)s: %(detail)s"),
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
    "empty": gettext_noop("The text is empty: a message needs one."),
    "no_subject": gettext_noop("An e-mail needs a subject."),
    "subject_not_sent": gettext_noop(
        "A message sent by %(detail)s has no subject: leave the subject empty."
    ),
    "cannot_render": gettext_noop("It cannot be written out: %(detail)s"),
}
CHANNELS = ("email", "sms", "linkedin", "phone")

# What Jinja says about a template, said in the reader's language (its own words are
# English): the common mistakes of someone editing a message, each with its pattern.
_TOKENS = {"end of print statement": "}}", "end of statement block": "%}",
           "end of template": "…"}  # fmt: skip
_JINJA = [
    (re.compile(r"unexpected end of template, expected '(?P<a>[^']+)'", re.I),
     gettext_noop("the text ends before “%(a)s”")),
    (re.compile(r"Unexpected end of template\. Jinja was looking for the following tags: "
                r"(?P<tags>'.+?')\. The innermost block that needs to be closed is '(?P<b>[^']+)'"),
     gettext_noop("“%(b)s” is never closed (“{%% %(a)s %%}” is missing)")),
    (re.compile(r"Encountered unknown tag '(?P<a>(?:end\w*|else|elif))'"),
     gettext_noop("“{%% %(a)s %%}” closes nothing")),
    (re.compile(r"Encountered unknown tag '(?P<a>[^']+)'"),
     gettext_noop("unknown tag “%(a)s”")),
    (re.compile(r"expected token '(?P<a>[^']+)', got '(?P<b>[^']+)'"),
     gettext_noop("“%(a)s” expected, “%(b)s” found")),
    (re.compile(r"Expected an expression, got '(?P<a>[^']+)'"),
     gettext_noop("a variable is expected before “%(a)s”")),
    (re.compile(r"unexpected char (?P<a>.+?) at \d+"),
     gettext_noop("unexpected character %(a)s")),
    (re.compile(r"unexpected '(?P<a>[^']+)'"),
     gettext_noop("unexpected “%(a)s”")),
    (re.compile(r"No filter named '(?P<a>[^']+)'"),
     gettext_noop("unknown filter “%(a)s”")),
    (re.compile(r"'None' has no attribute '(?P<a>[^']+)'"),
     gettext_noop("“%(a)s” of something that is not there for this candidate (use {%% if %%})")),
    (re.compile(r"has no attribute '(?P<a>[^']+)'"),
     gettext_noop("“%(a)s” does not exist")),
    (re.compile(r"'(?P<a>[^']+)' is undefined"),
     gettext_noop("“%(a)s” has no value here")),
]  # fmt: skip


def explain(code: str, detail: str) -> str:
    """A check's problem in the reader's language, Jinja's own words translated."""
    line = ""
    found_line = re.match(r"line (\d+): (.*)", detail, re.S)
    if found_line:
        line, detail = found_line.group(1), found_line.group(2)
    for pattern, text in _JINJA:
        found = pattern.search(detail)
        if found:
            values = {k: _TOKENS.get(v, v) for k, v in found.groupdict().items()}
            if "tags" in values:  # 'elif' or 'else' or 'endif': the one that closes
                tags = re.findall(r"'(\w+)'", values.pop("tags"))
                values["a"] = next((t for t in tags if t.startswith("end")), tags[0])
            detail = _(text) % values
            break
    else:
        detail = detail.removeprefix("missing value: ")
    return _(PROBLEMS[code]) % {"detail": detail, "line": line or "?"}


def describe(error: TemplateProblem) -> str:
    """A template that cannot be rendered (on Today, in a campaign), in the reader's words."""
    problem = error.problem
    if re.match(r"line \d+: ", problem):
        text = explain("syntax", problem)
    elif problem.startswith("unknown variable(s): "):
        text = explain("unknown_variable", problem.removeprefix("unknown variable(s): "))
    elif problem.startswith("missing value: "):
        text = explain("missing_value", problem)
    elif problem == "no such template":
        text = _("there is no such template")
    else:
        text = explain("cannot_render", problem)
    return _("Template %(name)s (%(language)s): %(problem)s") % {
        "name": error.name,
        "language": error.language.upper(),
        "problem": text,
    }


def channel_of(name: str) -> str:
    """The channel a template is written for: the last part of its name (e-mail else)."""
    last = name.rsplit(".", 1)[-1]
    return last if last in CHANNELS else "email"


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
    # The interview templates speak of an interview: a sample one (the next working day).
    interview = None
    if name.startswith("interview."):
        interview = compose.sample_interview(person, org, clock.now())
    return compose.context(
        organisation=org, candidate=person, recruiter=me, job=None, previous=previous,
        step=step[1] if step else None, interview=interview,
    )  # fmt: skip


def _shape(source: Source) -> list[checks.Problem]:
    """What a message of its channel must be before anything else: a text, and a subject
    for an e-mail only (an SMS, a LinkedIn message or a call script has none)."""
    problems = []
    if not source.body.strip():
        problems.append(checks.Problem("empty", True))
    channel = channel_of(source.name)
    if channel == "email" and not source.subject.strip():
        problems.append(checks.Problem("no_subject", True))
    if channel != "email" and source.subject.strip():
        problems.append(checks.Problem("subject_not_sent", True, str(labels.CHANNELS[channel])))
    return problems


def _checked(request: HttpRequest, name: str, language: str) -> dict[str, Any]:
    org = scope.organisation(request)
    current, before = _sources(org, name, language)
    if request.method == "POST":
        current = Source(
            name, language, request.POST.get("subject", ""), request.POST.get("body", "")
        )
    person = _sample(request, org, language)
    variables = _variables(org, person, scope.me(request), name)
    problems = [(p.blocking, explain(p.code, p.detail)) for p in _shape(current)]
    try:
        problems += [(p.blocking, explain(p.code, p.detail))
                     for p in checks.check(current, before, variables)]  # fmt: skip
    except (ArithmeticError, TypeError, ValueError) as error:  # {{ 1/0 }}, {{ a + 1 }}
        problems.append((True, explain("cannot_render", str(error))))
    blocking = any(b for b, _text in problems)
    preview = None if blocking else render_template(current, variables)
    return {
        "name": name,
        "language": language,
        "source": current,
        "preview": preview,
        "problems": problems,
        "blocking": blocking,
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
