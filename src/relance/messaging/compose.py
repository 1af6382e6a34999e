"""Composing a message for a candidate: choose the template (the organisation's own, or
the built-in one), build its variables, render it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing

from relance.engine import calendar
from relance.engine.reasons import format_day
from relance.messaging.models import Template
from relance.messaging.render import Rendered, Source, TemplateProblem, builtin, render
from relance.people.models import Candidate, Job, Organisation, Recruiter

POOL_LINK_SALT = "relance.pool-link"


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
    """A personal signed link to join the talent pool (the form comes with the consent pages)."""
    token = signing.dumps({"c": candidate.pk, "o": candidate.organisation_id}, salt=POOL_LINK_SALT)
    return f"{settings.RELANCE_BASE_URL}/c/pool/{token}/"


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
