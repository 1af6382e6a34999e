"""Consent per purpose, with the exact wording shown, and the preference centre.

The wording of each purpose is versioned: a consent records the version and the very text
the candidate saw, in their language. Changing a wording means a new version here; the
consents already given keep theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from relance import french
from relance.engine import Purpose
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.people.models import Candidate, Consent, Recruiter
from relance.pools.models import Frequency, Preference, Topic

VERSION = "2026-11"

WORDING: dict[str, dict[str, str]] = {
    Purpose.TALENT_POOL: {
        "fr": "J'accepte {que_company} conserve mon profil dans son vivier de talents "
        "pendant 2 ans au plus après notre dernier échange, et me recontacte pour des "
        "postes qui me correspondent. Je peux retirer ce consentement à tout moment.",
        "en": "I agree that {company} keeps my profile in its talent pool for at most 2 "
        "years after our last exchange, and gets back to me about roles that suit me. "
        "I can withdraw this consent at any time.",
    },
    Purpose.JOB_ALERTS: {
        "fr": "J'accepte de recevoir par e-mail les offres {de_company} qui correspondent "
        "à mon profil, au rythme que je choisis.",
        "en": "I agree to receive by e-mail the job offers of {company} that match my "
        "profile, as often as I choose.",
    },
    Purpose.NEWSLETTER: {
        "fr": "J'accepte de recevoir par e-mail des nouvelles {de_company} (événements, "
        "actualités, témoignages, marché de l'emploi), au rythme que je choisis.",
        "en": "I agree to receive by e-mail news from {company} (events, company news, "
        "employee stories, the job market), as often as I choose.",
    },
}

# The purpose a campaign on a topic needs (hard rule 9).
PURPOSE_OF_TOPIC: dict[str, Purpose] = {
    Topic.JOB_OFFERS: Purpose.JOB_ALERTS,
    Topic.EVENTS: Purpose.NEWSLETTER,
    Topic.COMPANY_NEWS: Purpose.NEWSLETTER,
    Topic.EMPLOYEE_STORIES: Purpose.NEWSLETTER,
    Topic.JOB_MARKET: Purpose.NEWSLETTER,
}

# The rhythms offered per topic, and the one that applies when none was chosen.
CHOICES: dict[str, tuple[str, ...]] = {
    Topic.JOB_OFFERS: (Frequency.WEEKLY, Frequency.MONTHLY, Frequency.NEVER),
    **dict.fromkeys(
        (Topic.EVENTS, Topic.COMPANY_NEWS, Topic.EMPLOYEE_STORIES, Topic.JOB_MARKET),
        (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.NEVER),
    ),
}
DEFAULT: dict[str, str] = {
    Topic.JOB_OFFERS: Frequency.MONTHLY,
    **dict.fromkeys([t for t in CHOICES if t != Topic.JOB_OFFERS], Frequency.QUARTERLY),
}
# At most one message of a topic per this many days (a month counts 28 days, so that a
# monthly message sent on the same date every month is never held back).
INTERVAL: dict[str, timedelta | None] = {
    Frequency.WEEKLY: timedelta(days=7),
    Frequency.MONTHLY: timedelta(days=28),
    Frequency.QUARTERLY: timedelta(days=84),
    Frequency.NEVER: None,
}


def wording(purpose: str, language: str, company: str) -> str:
    """The consent's text; in French, "que"/"de" elided before the company's name
    ("qu'Agence Démo", "d'Agence Démo")."""
    texts = WORDING[purpose]
    return texts.get(language, texts["en"]).format(
        company=company,
        que_company=french.elide("que", company),
        de_company=french.elide("de", company),
    )


class ChoiceError(ValueError):
    """A choice the preference centre does not offer: which, and what was expected."""


def active(candidate: Candidate) -> set[str]:
    return set(
        Consent.objects.filter(candidate=candidate, withdrawn_at__isnull=True).values_list(
            "purpose", flat=True
        )
    )


def rhythms(candidate: Candidate) -> dict[str, str]:
    """The rhythm per topic: the candidate's choice, or the default."""
    chosen = dict(Preference.objects.filter(candidate=candidate).values_list("topic", "frequency"))
    return {topic: chosen.get(topic, DEFAULT[topic]) for topic in CHOICES}


def check_choices(purposes: set[str], frequencies: Mapping[str, str]) -> None:
    expected = _("%(what)s: expected one of %(choices)s")
    for purpose in purposes:
        if purpose not in WORDING:
            raise ChoiceError(expected % {"what": repr(purpose), "choices": ", ".join(WORDING)})
    for topic, frequency in frequencies.items():
        if topic not in CHOICES:
            raise ChoiceError(expected % {"what": repr(topic), "choices": ", ".join(CHOICES)})
        if frequency not in CHOICES[topic]:
            what = f"{topic}={frequency!r}"
            raise ChoiceError(expected % {"what": what, "choices": ", ".join(CHOICES[topic])})


def record_choices(
    candidate: Candidate,
    purposes: set[str],
    frequencies: Mapping[str, str],
    now: datetime,
    *,
    method: str = Consent.Method.LINK,
    recorded_by: Recruiter | None = None,
    language: str = "",
    renew: bool = False,
) -> None:
    """Set what the candidate consents to and how often they want each topic: purposes
    newly ticked are given (with the wording shown), purposes unticked are withdrawn;
    with `renew` (the consent form), purposes ticked again are given anew, with today's
    date and wording. A candidate who answers the form is in contact with us: the two
    years of retention start again. All or nothing: a bad choice changes nothing."""
    check_choices(purposes, frequencies)
    language = language or candidate.language
    with transaction.atomic():
        current = active(candidate)
        given = purposes if renew else purposes - current
        for purpose in sorted(given):
            services.record_event(
                Event(
                    EventType.CONSENT_GIVEN,
                    now,
                    candidate,
                    recruiter=recorded_by,
                    outcome=purpose,
                    consent_method=method,
                    consent_text=wording(purpose, language, candidate.organisation.name),
                    consent_version=VERSION,
                    consent_language=language,
                ),
                now,
            )
        for purpose in sorted(current - purposes):
            services.record_event(
                Event(EventType.CONSENT_WITHDRAWN, now, candidate, outcome=purpose), now
            )
        for topic, frequency in frequencies.items():
            Preference.objects.update_or_create(
                candidate=candidate,
                topic=topic,
                defaults={
                    "organisation_id": candidate.organisation_id,
                    "frequency": frequency,
                    "updated_at": now,
                },
            )
        if Purpose.TALENT_POOL in purposes - current:
            join_default_pool(candidate, now)
        if method != Consent.Method.CALL:  # the candidate's own act, through our pages
            Candidate.objects.filter(pk=candidate.pk).update(last_contact_at=now)


def withdraw_everything(candidate: Candidate, now: datetime) -> int:
    """Withdraw every consent and set every topic to never, in one click. Returns how many
    consents were withdrawn (0 on a second click)."""
    with transaction.atomic():
        current = active(candidate)
        for purpose in sorted(current):
            services.record_event(
                Event(EventType.CONSENT_WITHDRAWN, now, candidate, outcome=purpose), now
            )
        for topic in CHOICES:
            Preference.objects.update_or_create(
                candidate=candidate,
                topic=topic,
                defaults={
                    "organisation_id": candidate.organisation_id,
                    "frequency": Frequency.NEVER,
                    "updated_at": now,
                },
            )
    return len(current)


def join_default_pool(candidate: Candidate, now: datetime) -> None:
    """A candidate who joins through the form lands in the organisation's pool of people
    who asked to stay in touch."""
    from relance.pools.pools import TALENT_POOL_NAME, add_members, pool_named

    add_members(pool_named(candidate.organisation, TALENT_POOL_NAME, now), [candidate.pk], now)
