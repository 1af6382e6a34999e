"""Composing a message for a candidate: choose the template (the organisation's own, or
the built-in one), build its variables, render it."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from relance.engine import calendar
from relance.engine.reasons import format_day
from relance.messaging.models import Template
from relance.messaging.render import Rendered, Source, TemplateProblem, builtin, render
from relance.people.models import Candidate, Job, Organisation, Recruiter
from relance.pools import links


def template_source(organisation: Organisation, name: str, language: str) -> Source:
    own = (
        Template.objects.of(organisation)
        .filter(name=name, language=language)
        .values_list("subject", "body")
        .first()
    )
    if own is not None:
        return Source(name=name, language=language, subject=own[0], body=own[1])
    try:
        return builtin()[(name, language)]
    except KeyError:
        raise TemplateProblem(name, language, "no such template") from None


def exists(organisation: Organisation, name: str, language: str) -> bool:
    return (name, language) in builtin() or (
        Template.objects.of(organisation).filter(name=name, language=language).exists()
    )


def message_id(organisation_id: int, kind: str, *parts: int) -> str:
    """Our Message-ID for an e-mail, fixed when it is written and derived from what it is
    (a thread's step, an acknowledgement): a reply's In-Reply-To finds it again, and a
    message written twice would carry the same one."""
    local = ".".join(["relance", str(organisation_id), kind, *map(str, parts)])
    return f"<{local}@{settings.RELANCE_MAIL_DOMAIN}>"


def pool_link(candidate: Candidate) -> str:
    """A personal signed link to the form that joins the talent pool (single use)."""
    return links.url(candidate, "consent")


NOTICE = {
    "fr": "Pourquoi ce message : {company} recrute et votre parcours correspond à ce que "
    "nous cherchons. Nous conservons vos coordonnées professionnelles pour vous parler de "
    "postes, au plus 2 ans après notre dernier échange. Vous pouvez consulter, corriger ou "
    "effacer vos données, ou ne plus être contacté(e) : répondez simplement à ce message, "
    "ou rendez-vous sur {link}",
    "en": "Why this message: {company} is hiring and your background matches what we look "
    "for. We keep your professional contact details to talk to you about roles, for at "
    "most 2 years after our last exchange. You can see, correct or erase your data, or "
    "ask not to be contacted: simply reply to this message, or go to {link}",
}


def notice(candidate: Candidate, company: str) -> str:
    """The information notice a sourced candidate gets with our first message (GDPR
    article 14): who we are, why we have their data, their rights, and a link."""
    text = NOTICE.get(candidate.language, NOTICE["en"])
    return text.format(company=company, link=links.url(candidate, "preferences"))


def context(
    *,
    organisation: Organisation,
    candidate: Candidate,
    recruiter: Recruiter | None,
    job: Job | None,
    previous: dict[str, Any] | None,
    step: int | None = None,
    trigger: str = "",
    processing_days: int = 2,
    answer_days: int = 14,
) -> dict[str, Any]:
    recruiter_first = recruiter.first_name if recruiter else ""
    recruiter_full = (recruiter.get_full_name() if recruiter else "") or organisation.name
    signature = (
        recruiter.signature if recruiter else ""
    ) or f"{recruiter_full}\n{organisation.name}"
    return {
        "candidate": {
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "full_name": candidate.full_name,
            "desired_role": candidate.desired_role,
        },
        "recruiter": {
            "first_name": recruiter_first or recruiter_full,
            "full_name": recruiter_full,
            "email": recruiter.email if recruiter else "",
            "phone": recruiter.phone if recruiter else "",
            "signature": signature,
        },
        "company": organisation.name,
        "job": {"title": job.title} if job is not None else None,
        "hook": candidate.hook,
        "previous": previous,
        "step": step,
        "trigger": trigger,
        "processing_days": processing_days,
        "answer_days": answer_days,
        "pool_link": pool_link(candidate),
        "notice": notice(candidate, organisation.name),
    }


def previous_message(
    *, at: Any, channel: str, subject: str, body: str, thread_subject: str, candidate: Candidate
) -> dict[str, Any]:
    """What a follow-up may say about the message before it."""
    local = calendar.local(at, candidate.timezone)
    return {
        "date": format_day(local, candidate.language),
        "channel": channel,
        "subject": thread_subject or subject,
        "excerpt": (body[:160] + "…") if len(body) > 160 else body,
    }


def compose(
    organisation: Organisation, name: str, language: str, variables: dict[str, Any]
) -> Rendered:
    return render(template_source(organisation, name, language), variables)
