"""Composing a message for a candidate: choose the template (the organisation's own, or
the built-in one), build its variables, render it."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from email.utils import parseaddr
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from relance.engine import calendar
from relance.engine.reasons import format_day, format_moment
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


def message_id(organisation_id: int, kind: str, *parts: int, sender: str = "") -> str:
    """Our Message-ID for an e-mail, fixed when it is written:
    `<relance.{organisation}.{kind}.{parts…}.{random}@{sending domain}>`.

    The structured part says what the message is (a thread's step: `t.{thread}.{action}`,
    an acknowledgement, a renewal, a campaign's message): receive.py finds our ids by it
    in a bounce, and ids written before the random part existed still match. The random
    part (20 digits, so that those searches still see an id of ours) makes it unique in
    the world: the same step written by two installations, or by one database restored
    from a backup, would otherwise carry the same id, and a mailbox keeps only one message
    per Message-ID. Nothing relies on it being derived: a thread's step is written once
    (one outbox row per step), a campaign writes each person once, a renewal is asked
    once per period (people/retention.py). The domain is the sender's (`sender`, a From
    address), else RELANCE_MAIL_DOMAIN; `sent_from` moves an id to its sender's domain
    when the From is known only later."""
    token = f"{secrets.randbelow(10**20):020d}"
    local = ".".join(["relance", str(organisation_id), kind, *map(str, parts), token])
    return f"<{local}@{sending_domain(sender)}>"


def sending_domain(sender: str) -> str:
    """The domain of a From address (`Claire <claire@agence.example>`), lower case; the
    installation's RELANCE_MAIL_DOMAIN when the From has none or says localhost."""
    return _domain_of(sender) or str(settings.RELANCE_MAIL_DOMAIN)


@lru_cache(maxsize=1024)
def _domain_of(sender: str) -> str:
    address = parseaddr(sender)[1] if sender else ""
    domain = address.rpartition("@")[2].strip().lower() if "@" in address else ""
    if not domain or domain == "localhost" or domain.endswith(".localhost"):
        return ""
    return domain


def sent_from(message_id: str, sender: str) -> str:
    """`message_id` (one of ours) at the domain of `sender`, the From it leaves under."""
    if not message_id.startswith("<relance.") or "@" not in message_id:
        return message_id
    local = message_id[1:].rpartition("@")[0]
    return f"<{local}@{sending_domain(sender)}>"


def recipient(candidate: Candidate) -> str:
    """The To of an e-mail to `candidate`: their name and address (`Léa Martin
    <lea@example.org>`), the name quoted when it holds a comma, quotes or brackets. Kept as
    text; transport.build encodes it for the wire (RFC 2047)."""
    return display_address(candidate.full_name, candidate.email)


_SPECIALS = frozenset('()<>[]:;@\\,."')


def display_address(name: str, address: str) -> str:
    name = " ".join("".join(c if c.isprintable() else " " for c in name).split())
    if not name:
        return address
    if any(c in _SPECIALS for c in name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


# What the headers of a message need from its organisation, read once per organisation and
# worker cycle (`now`): a query per message would cost as much as building it. Forgotten
# when an organisation is saved in this process.
class _Read:
    at: datetime | None = None
    facts: dict[int, tuple[ZoneInfo, str]] = {}  # one for the process


def organisation_facts(organisation_id: int, now: datetime) -> tuple[ZoneInfo, str]:
    """(time zone, name) of the organisation, as of this cycle."""
    if _Read.at != now:
        _Read.facts.clear()
        _Read.at = now
    facts = _Read.facts.get(organisation_id)
    if facts is None:
        found = Organisation.objects.filter(pk=organisation_id).values_list("timezone", "name")
        zone, name = found.first() or ("UTC", "")
        try:
            tz = calendar.zone(zone)
        except calendar.CalendarError:  # checked when saved; the Date header must not fail
            tz = calendar.zone("UTC")
        facts = _Read.facts[organisation_id] = (tz, name)
    return facts


@receiver(post_save, sender=Organisation, dispatch_uid="relance.compose.organisation_facts")
def _forget(**_: Any) -> None:
    _Read.facts.clear()


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
    interview: dict[str, Any] | None = None,
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
        "interview": interview,
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


# --- an interview, as its confirmation and notices say it -------------------------------

_THEIR_TIME = {"fr": "heure de {place}", "en": "{place} time"}
_WITH = {"fr": "{when} ({zone})", "en": "{when} ({zone})"}


def duration(minutes: int, language: str) -> str:
    """'1 h 30' / '1 hour 30 minutes', '45 minutes'."""
    hours, rest = divmod(minutes, 60)
    if language == "fr":
        if not hours:
            return f"{rest} minutes"
        return f"{hours} h {rest:02d}" if rest else f"{hours} h"
    if not hours:
        return f"{rest} minutes"
    text = f"{hours} hour" + ("s" if hours > 1 else "")
    return f"{text} {rest} minutes" if rest else text


def interview_moment(at: datetime, candidate: Candidate, organisation_zone: str) -> str:
    """When, in the candidate's own time zone and language; the zone named when the
    organisation's clock says another time ('jeudi 5 mars à 08:00 (heure de New York)')."""
    language = candidate.language if candidate.language in ("fr", "en") else "en"
    try:
        theirs = calendar.local(at, candidate.timezone)
    except calendar.CalendarError:
        theirs = calendar.local(at, organisation_zone)
    text = format_moment(theirs, language)
    ours = calendar.local(at, organisation_zone)
    if theirs.utcoffset() == ours.utcoffset():
        return text
    place = str(theirs.tzinfo).rsplit("/", 1)[-1].replace("_", " ")
    return _WITH[language].format(when=text, zone=_THEIR_TIME[language].format(place=place))


def interview_values(
    *,
    at: datetime,
    minutes: int,
    interviewer: str,
    place: str,
    video_url: str,
    candidate: Candidate,
    organisation_zone: str,
    previous_at: datetime | None = None,
) -> dict[str, Any]:
    """The `interview` variable of the interview templates (docs/templates.md)."""
    language = candidate.language if candidate.language in ("fr", "en") else "en"
    return {
        "when": interview_moment(at, candidate, organisation_zone),
        "duration": duration(minutes, language),
        "minutes": minutes,
        "interviewer": interviewer,
        "place": place,
        "video_url": video_url,
        "previous_when": interview_moment(previous_at, candidate, organisation_zone)
        if previous_at is not None
        else "",
    }


def sample_interview(
    candidate: Candidate, organisation: Organisation, now: datetime
) -> dict[str, Any]:
    """An interview to preview the interview templates with: the next working day at 14:00
    in the organisation's zone, an hour, a video link, moved from the day before."""
    zone = organisation.timezone
    try:
        day = calendar.next_working_day(calendar.local(now, zone).date(), organisation.country)
    except calendar.CalendarError:
        day = calendar.local(now, "UTC").date()
    at = calendar.at_local(day, time(14, 0), zone)
    return interview_values(
        at=at, minutes=60, interviewer="Claire Dubois", place="",
        video_url="https://meet.example.com/abc-defg-hij", candidate=candidate,
        organisation_zone=zone, previous_at=at - timedelta(days=1),
    )  # fmt: skip
