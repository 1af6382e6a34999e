"""The candidates' own pages, with no login: their signed link is the proof.

- /c/pool/<token>/         join the talent pool: consents per purpose (the exact wording
                            shown is recorded) and a rhythm per topic; the link works once;
- /c/preferences/<token>/  the preference centre: change consents and rhythms, any time;
- /c/withdraw/<token>/     withdraw everything in one click (a mail client may POST it).

Each page speaks the candidate's language (?lang=fr|en switches). A tampered, expired or
used link shows a page that says so, with status 400/410, and changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from relance import clock
from relance.people.models import AuditEntry, Candidate
from relance.pools import consent, links
from relance.web import labels

STATUS = {"tampered": 400, "expired": 410, "used": 410, "gone": 410}


def _language(request: HttpRequest, candidate: Candidate | None) -> str:
    asked = request.GET.get("lang", "")
    if asked in ("fr", "en"):
        return asked
    if candidate is not None and candidate.language in ("fr", "en"):
        return candidate.language
    accepted = request.headers.get("Accept-Language", "")
    return "fr" if accepted.lower().startswith("fr") else "en"


def _problem(request: HttpRequest, problem: links.LinkProblem) -> HttpResponse:
    why = problem.why
    asked = request.GET.get("lang", "")
    language = asked if asked in ("fr", "en") else problem.language or _language(request, None)
    with translation.override(language):
        text = {
            "tampered": (
                _("This link does not work"),
                _("It is incomplete or was changed. Use the whole link from our e-mail."),
            ),
            "expired": (
                _("This link has expired"),
                _(
                    "For your safety, our links only work for a while. Reply to any of our "
                    "e-mails and we will send you a new one."
                ),
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
        return render(
            request,
            "pools/public_message.html",
            {"title": text[0], "message": text[1], "language": translation.get_language()},
            status=STATUS[why],
        )


def _form_context(
    link: links.Link, language: str, current: set[str], rhythms: dict[str, str]
) -> dict[str, object]:
    candidate = link.candidate
    company = candidate.organisation.name
    names = {
        "talent_pool": _("Stay in the talent pool"),
        "job_alerts": _("Receive job offers that match me"),
        "newsletter": _("Receive news from the company"),
    }
    frequencies = labels.FREQUENCIES
    return {
        "candidate": candidate,
        "company": company,
        "language": language,
        "other_language": "en" if language == "fr" else "fr",
        "purposes": [
            {
                "code": purpose,
                "name": names[purpose],
                "text": consent.wording(purpose, language, company),
                "checked": purpose in current,
            }
            for purpose in consent.WORDING
        ],
        "topics": [
            {
                "code": code,
                "name": name,
                "choices": [(f, frequencies[f]) for f in consent.CHOICES[code]],
                "chosen": rhythms[code],
            }
            for code, name in labels.TOPICS.items()
        ],
        "version": consent.VERSION,
    }


def _choices(request: HttpRequest) -> tuple[set[str], dict[str, str]]:
    purposes = set(request.POST.getlist("purpose"))
    frequencies = {
        topic: request.POST[f"topic_{topic}"]
        for topic in consent.CHOICES
        if request.POST.get(f"topic_{topic}")
    }
    return purposes, frequencies


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """The consent form of a rejection e-mail: join the talent pool, choose what to hear
    about and how often. The link works once."""
    return _choices_page(request, token, "consent")


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The preference centre: what the candidate consents to, and how often they hear
    about each topic; withdraw everything in one click."""
    return _choices_page(request, token, "preferences")


def _choices_page(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    now = clock.now()
    try:
        link = links.read(token, kind, now)
    except links.LinkProblem as problem:
        return _problem(request, problem)
    candidate = link.candidate
    language = _language(request, candidate)
    with translation.override(language):
        if request.method == "POST":
            purposes, frequencies = _choices(request)
            try:
                with transaction.atomic():  # all of it, or nothing
                    links.use(link, now)
                    consent.record_choices(
                        candidate, purposes, frequencies, now, language=language,
                        renew=kind == "consent",
                    )  # fmt: skip
                    AuditEntry.objects.create(
                        organisation_id=candidate.organisation_id, at=now,
                        action=AuditEntry.Action.CHANGED, candidate_id=candidate.pk,
                        detail={"by": "candidate", "page": kind, "purposes": sorted(purposes)},
                    )  # fmt: skip
            except consent.ChoiceError as error:
                context = _form_context(
                    link, language, consent.active(candidate), consent.rhythms(candidate)
                )
                context.update(kind=kind, token=token, error=str(error),
                               withdraw_link=links.path(candidate, "withdraw", now))  # fmt: skip
                return render(request, "pools/choices.html", context, status=400)
            except links.LinkProblem as problem:
                return _problem(request, problem)
            return render(
                request,
                "pools/public_message.html",
                {
                    "title": _("Thank you, your choices are saved"),
                    "message": _saved_message(purposes, candidate.organisation.name),
                    "language": language,
                    "next_link": links.path(candidate, "preferences", now),
                    "next_text": _("Change my choices later"),
                },
            )
        # Only what they already agreed to is ticked: a consent is their own act.
        current, rhythms = consent.active(candidate), consent.rhythms(candidate)
        context = _form_context(link, language, current, rhythms)
        context.update(
            kind=kind,
            token=token,
            withdraw_link=links.path(candidate, "withdraw", now),
        )
        return render(request, "pools/choices.html", context)


def _saved_message(purposes: set[str], company: str) -> str:
    if not purposes:
        return _("%(company)s will not write to you about its talent pool.") % {"company": company}
    return _(
        "%(company)s will write to you only about what you chose, and as often as you "
        "chose. You can change this at any time."
    ) % {"company": company}


@csrf_exempt  # the signed token is the proof; a mail client may post it in one click
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    now = clock.now()
    try:
        link = links.read(token, "withdraw", now)
    except links.LinkProblem as problem:
        return _problem(request, problem)
    candidate = link.candidate
    language = _language(request, candidate)
    company = candidate.organisation.name
    with translation.override(language):
        if request.method == "POST":
            with transaction.atomic():
                consent.withdraw_everything(candidate, now)
                AuditEntry.objects.create(
                    organisation_id=candidate.organisation_id,
                    at=now,
                    action=AuditEntry.Action.CHANGED,
                    candidate_id=candidate.pk,
                    detail={"by": "candidate", "page": "withdraw"},
                )
            return render(
                request,
                "pools/public_message.html",
                {
                    "title": _("Done: you withdrew every consent"),
                    "message": _(
                        "%(company)s will no longer write to you about its talent pool, "
                        "job offers or news."
                    )
                    % {"company": company},
                    "language": language,
                },
            )
        return render(
            request,
            "pools/public_message.html",
            {
                "title": _("Withdraw every consent"),
                "message": _(
                    "%(company)s will stop writing to you about its talent pool, job "
                    "offers and news."
                )
                % {"company": company},
                "button": _("Withdraw everything"),
                "language": language,
            },
        )
