"""A person's contact details, written one way whatever way they were typed: a phone in
E.164 (`+33612345678`, with the `phonenumbers` package: Google's libphonenumber data), a
LinkedIn profile as `https://www.linkedin.com/in/slug`, an e-mail with its domain in lower
case. One way of writing each is what makes a duplicate findable, an erased person's keyed
digest match (people/rights.py), and a link open.

Each `normalise_*` returns the value to store or raises ContactProblem, whose message says
in the reader's language what was typed and what was expected. Shown back, a phone is in
the national format when it belongs to the organisation's country ("06 12 34 56 78" for a
French agency), in the international one otherwise ("+1 212-555-0123").
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

MAX_EMAIL = 254  # Candidate.email (RFC 5321's path limit)
LINKEDIN = "https://www.linkedin.com/in/"
# A public profile's own part of the address: letters (of any alphabet), digits, hyphens.
_SLUG = re.compile(r"^[\w-]{3,100}$")


class ContactProblem(ValueError):
    """A contact detail that cannot be stored: `str(problem)` says why, translated."""


def normalise_phone(raw: str, country: str) -> str:
    """`raw` as E.164. A number without its country code is read as one of `country` (the
    candidate's): "06 12 34 56 78" in France is +33612345678. Refused: what is not a phone
    number, a number that cannot exist (too short, a prefix no operator has), and an
    extension (E.164 has none: the direct number is what a call or an SMS needs)."""
    text = raw.strip()
    if not text:
        return ""
    region = country.upper() if len(country) == 2 else None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and number.extension:
        raise ContactProblem(
            _("“%(value)s” has an extension: give the direct number, without it.") % {"value": text}
        )
    if number is None or not phonenumbers.is_valid_number(number):
        raise ContactProblem(
            _(
                "“%(value)s” is not a phone number: expected a number of the country "
                "%(country)s, like %(example)s, or an international one starting with + "
                "and the country code, like +44 20 7946 0958."
            )
            % {"value": text, "country": region or "—", "example": example_phone(region)}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def example_phone(country: str | None) -> str:
    """A mobile number of `country` as it is written there ("06 12 34 56 78")."""
    example = (
        phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
        if country
        else None
    )
    if example is None:
        return "+33 6 12 34 56 78"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


def display_phone(stored: str, country: str) -> str:
    """A stored phone as a recruiter dials it from `country` (the organisation's): national
    when the number is of that country, international otherwise. A value stored before
    phones were normalised, and that cannot be read, is shown as it is."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, country.upper() if len(country) == 2 else None)
    except phonenumbers.NumberParseException:
        return stored
    if not phonenumbers.is_valid_number(number):
        return stored
    local = phonenumbers.region_code_for_number(number) == country.upper()
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if local
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def normalise_linkedin(raw: str) -> str:
    """A LinkedIn profile's address as `https://www.linkedin.com/in/slug`: https, the
    www host (not fr., m. or none), the profile's own part in lower case (LinkedIn reads it
    in any case), without what follows it (a language, `/details/…`), a query (`?trk=…`,
    `?originalSubdomain=fr`), a fragment or a trailing slash. A company page, a search, an
    old `/pub/` address or another site is refused with what was expected."""
    text = raw.strip()
    if not text:
        return ""
    parts = urlsplit(text if "//" in text else "https://" + text)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    slug = unquote(segments[1]).lower() if len(segments) >= 2 else ""
    if (
        parts.scheme.lower() not in ("http", "https")
        or not (host == "linkedin.com" or host.endswith(".linkedin.com"))
        or segments[:1] != ["in"]
        or not _SLUG.match(slug)
    ):
        raise ContactProblem(
            _(
                "“%(value)s” is not the address of a LinkedIn profile: expected "
                "https://www.linkedin.com/in/ followed by the profile's name, like "
                "https://www.linkedin.com/in/marie-dupont."
            )
            % {"value": text}
        )
    return LINKEDIN + quote(slug)


def normalise_email(raw: str) -> str:
    """An e-mail address, checked, with its domain in lower case (domains have no case; the
    part before @ is the mailbox's own, kept as typed)."""
    text = raw.strip()
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        raise ContactProblem(
            _("“%(value)s” is not an e-mail address: expected one like marie.dupont@example.com.")
            % {"value": text}
        ) from None
    if len(text) > MAX_EMAIL:
        raise ContactProblem(
            _("The address has %(n)s characters: at most %(max)s.")
            % {"n": len(text), "max": MAX_EMAIL}
        )
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"
