"""What the public pages share: the visitor's language, the organisation's information
notice, and how a person who writes to us is found or added (never twice, never said)."""

from __future__ import annotations

from datetime import datetime

from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils.translation import gettext as _

from relance.people.models import Candidate, Organisation, Source

# The information notice's version (GDPR art. 13), recorded with each application.
NOTICE_VERSION = "2026-11"


def language(request: HttpRequest) -> str:
    """`?lang=fr|en`, else the browser's first language when it is French, else English."""
    asked = request.GET.get("lang", "")
    if asked in ("fr", "en"):
        return asked
    accepted = request.headers.get("Accept-Language", "")
    return "fr" if accepted.strip().lower().startswith("fr") else "en"


def notice(organisation: Organisation) -> dict[str, str]:
    """The information notice of the public forms (GDPR art. 13): who holds the data, why,
    how long, and where to exercise one's rights — from the organisation's legal notice
    details, in the current language."""
    who = organisation.legal_name or organisation.name
    contact = organisation.privacy_email
    return {
        "controller": who,
        "address": organisation.address,
        "website": organisation.website,
        "privacy_email": contact,
        "why": _(
            "%(who)s uses what you send (your details, your CV, your message) to consider "
            "your application or your request and to answer you. Nothing is shared with "
            "anyone else."
        )
        % {"who": who},
        "how_long": _(
            "Your data is kept while we consider your application; after a refusal, 3 "
            "months, or 2 years after our last exchange if you join the talent pool. You "
            "can then withdraw at any time."
        ),
        "rights": (
            _("You can see, correct or erase your data, or object to its use: write to %(email)s.")
            % {"email": contact}
            if contact
            else _(
                "You can see, correct or erase your data, or object to its use: reply to any "
                "of our e-mails."
            )
        ),
    }


def find_or_add(
    organisation: Organisation,
    *,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    now: datetime,
    phone: str = "",
) -> tuple[Candidate, bool]:
    """The organisation's person with this address (whatever its case), or a new one; and
    whether it was added. A known person's names are never changed from a public form
    (anyone can type anyone's address): only a phone they had not given is added. In the
    caller's transaction, which holds the organisation's row: two forms sent at once with
    one new address add one person."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    known = (
        Candidate.objects.of(organisation)
        .filter(anonymised_at__isnull=True)
        .alias(email_lower=Lower("email"))
        .filter(email_lower=email.lower())
        .order_by("pk")
        .first()
    )
    if known is not None:
        if phone and not known.phone:
            known.phone = phone
            known.save(update_fields=["phone"])
        return known, False
    person = Candidate(
        organisation=organisation,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        language=language,
        timezone=organisation.timezone,
        country=organisation.country,
        source=Source.APPLICATION,
        created_at=now,
    )
    person.save()  # post_save: an erased person's address marks them do-not-contact
    return person, True
