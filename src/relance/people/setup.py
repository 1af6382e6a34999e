"""Setting up an organisation and its first administrator: the rules shared by `relance
setup` and the first-run page of the web app (one place, so that both doors accept and
refuse the same values with the same words).

Every value is checked before anything is written, each refused one with what was
expected; the organisation, its administrator, the audit entry and (on the first-run
page) the use of the console's one-time token are written in one transaction.

The first-run page is protected by a one-time token that `relance web` prints in its
console while no organisation exists: only someone who has the console can create the
first organisation, not a stranger who reaches the server first. Only the token's
SHA-256 digest is stored; it expires after TOKEN_LIFETIME, is used once, and is compared
in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import available_timezones

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from relance.engine import calendar
from relance.errors import InputError
from relance.people.models import AuditEntry, Organisation, Recruiter, SetupToken

# Long enough to open the link printed by `relance web` after starting it; a new start
# prints a new one (`relance setup` needs none).
TOKEN_LIFETIME = timedelta(hours=1)

# What a first administrator's password must be: the account can do everything.
PASSWORD_RULES = [
    password_validation.MinimumLengthValidator(10),
    password_validation.UserAttributeSimilarityValidator(),
    password_validation.CommonPasswordValidator(),
    password_validation.NumericPasswordValidator(),
]

# The fields, in the order a form or the prompts ask for them.
FIELDS = (
    "name", "country", "timezone", "language", "legal_name", "address", "privacy_email",
    "website", "admin_email", "admin_name", "password",
)  # fmt: skip


@dataclass(frozen=True)
class Setup:
    """Values that passed every check, normalised (a country in capitals, an e-mail in
    lower case, a website with its scheme)."""

    name: str
    country: str
    timezone: str
    language: str
    legal_name: str
    address: str
    privacy_email: str
    website: str
    admin_email: str
    admin_first_name: str
    admin_last_name: str
    password: str


class SetupRefused(InputError):
    """Some values were refused: `errors` maps each field to what was expected."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {text}" for field, text in errors.items()))


class AlreadySetUp(InputError):
    """An organisation exists, and a second one was not asked for."""

    def __init__(self, slugs: list[str]) -> None:
        self.slugs = slugs
        super().__init__(", ".join(slugs))


class TokenRefused(InputError):
    """The first-run page's token is unknown, expired or already used."""


# Countries over several time zones whose first zone in the IANA table is not where most
# people (and recruiters) are: Newfoundland is listed first for Canada.
MAIN_ZONES = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "ID": "Asia/Jakarta",
    "MX": "America/Mexico_City",
    "RU": "Europe/Moscow",
    "US": "America/New_York",
}


def default_timezone(country: str) -> str:
    """A country's main time zone: the first the IANA database lists for it (zone.tab,
    one country a line: Europe/Paris for FR, Europe/Amsterdam for NL), or MAIN_ZONES for a
    country over several; Europe/Paris when the country is unknown."""
    code = country.strip().upper()
    return MAIN_ZONES.get(code) or _zones_of_countries().get(code, "Europe/Paris")


@lru_cache(maxsize=1)
def _zones_of_countries() -> dict[str, str]:
    out: dict[str, str] = {}
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab")
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _coordinates, zone = line.split("\t")[:3]
        out.setdefault(code, zone)
    return out


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def read(raw: Mapping[str, str | None]) -> Setup:
    """Check every value (all of them, so that each refused one is said at once) and
    return them normalised, or raise SetupRefused naming each field with what was
    expected. `password_again`, when given, must repeat `password`."""
    values = {field: (raw.get(field) or "").strip() for field in FIELDS}
    values["password"] = raw.get("password") or ""  # a space may be part of it
    errors: dict[str, str] = {}

    name = values["name"]
    if not name:
        errors["name"] = _("The organisation's name is required.")
    elif len(name) > 200:
        errors["name"] = _("At most 200 characters.")

    country = values["country"].upper()
    try:
        if len(country) != 2:  # holidays knows alpha-3 codes too; Relance stores two letters
            raise calendar.CalendarError(country)
        calendar.check_country(country)
    except calendar.CalendarError:
        errors["country"] = _(
            "%(value)s: expected a country's ISO code of two letters, such as FR, BE, CH or CA."
        ) % {"value": repr(values["country"])}

    zone = values["timezone"] or (default_timezone(country) if "country" not in errors else "")
    if zone not in _timezones():
        errors["timezone"] = _(
            "%(value)s: expected a time zone of the IANA database, such as Europe/Paris or "
            "America/Montreal."
        ) % {"value": repr(values["timezone"])}

    language = values["language"].lower() or "fr"
    if language not in ("fr", "en"):
        errors["language"] = _("%(value)s: expected fr or en.") % {
            "value": repr(values["language"])
        }

    legal_name = values["legal_name"] or name
    if len(legal_name) > 200:
        errors["legal_name"] = _("At most 200 characters.")
    address = values["address"]
    if not address:
        errors["address"] = _(
            "The postal address is required: the information notice sent to candidates names it."
        )
    elif len(address) > 1000:
        errors["address"] = _("At most 1000 characters.")

    admin_email = values["admin_email"].lower()
    if not _is_email(admin_email):
        errors["admin_email"] = _("%(value)s: expected an e-mail address.") % {
            "value": repr(values["admin_email"])
        }
    else:
        taken = Recruiter.objects.filter(
            email__iexact=admin_email, organisation__isnull=False
        ).first()
        if taken is not None:
            errors["admin_email"] = _(
                "%(email)s is already a recruiter of the organisation %(org)s: choose another "
                "address."
            ) % {"email": admin_email, "org": taken.organisation}

    privacy_email = values["privacy_email"].lower() or admin_email
    if not _is_email(privacy_email) and (values["privacy_email"] or "admin_email" not in errors):
        errors["privacy_email"] = _(
            "%(value)s: expected the e-mail address where candidates exercise their rights."
        ) % {"value": repr(values["privacy_email"])}

    website = values["website"]
    if website and "://" not in website:
        website = "https://" + website
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            errors["website"] = _(
                "%(value)s: expected a web address, such as https://www.example.com."
            ) % {"value": repr(values["website"])}
        if len(website) > 200:
            errors["website"] = _("At most 200 characters.")

    first, _space, last = values["admin_name"].partition(" ")
    if not values["admin_name"]:
        errors["admin_name"] = _(
            "The administrator's name is required: candidates read it in their e-mails."
        )
    elif len(first) > 150 or len(last.strip()) > 150:
        errors["admin_name"] = _("At most 150 characters for the first and the last name.")

    password = values["password"]
    if "password_again" in raw and (raw.get("password_again") or "") != password:
        errors["password"] = _("The two passwords differ.")
    else:
        someone = Recruiter(email=admin_email, first_name=first, last_name=last.strip())
        try:
            password_validation.validate_password(password, someone, PASSWORD_RULES)
        except ValidationError as refused:
            errors["password"] = " ".join(refused.messages)

    if errors:
        raise SetupRefused(errors)
    return Setup(
        name=name, country=country, timezone=zone, language=language, legal_name=legal_name,
        address=address, privacy_email=privacy_email, website=website,
        admin_email=admin_email, admin_first_name=first, admin_last_name=last.strip(),
        password=password,
    )  # fmt: skip


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return len(value) <= 254


def slug_for(name: str, taken: set[str]) -> str:
    """The organisation's short name in addresses and commands (`--org`): its name in
    ASCII words joined by dashes, made unique with -2, -3…"""
    base = slugify(name)[:60].strip("-") or "organisation"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create(
    setup: Setup,
    now: datetime,
    *,
    another: bool = False,
    token: SetupToken | None = None,
    door: str = "command",
) -> tuple[Organisation, Recruiter]:
    """The organisation and its first administrator, in one transaction with the audit
    entry and the use of the first-run token (when given).

    An account that exists without an organisation (made by `createsuperuser`) becomes
    this administrator, with the password given: whoever runs the setup has the console,
    which can do more anyway. An account of another organisation is refused by `read`."""
    with transaction.atomic():
        if token is not None and not use_token(token, now):
            raise TokenRefused("already used or expired")
        existing = list(Organisation.objects.order_by("slug").values_list("slug", flat=True)[:5])
        if existing and not another:
            raise AlreadySetUp(existing)
        base = slugify(setup.name)[:60].strip("-") or "organisation"
        taken = set(
            Organisation.objects.filter(slug__startswith=base).values_list("slug", flat=True)
        )
        try:
            with transaction.atomic():
                org = Organisation.objects.create(
                    name=setup.name, slug=slug_for(setup.name, taken), country=setup.country,
                    timezone=setup.timezone, language=setup.language,
                    legal_name=setup.legal_name, address=setup.address,
                    privacy_email=setup.privacy_email, website=setup.website,
                )  # fmt: skip
        except IntegrityError:  # the same name set up at the same moment elsewhere
            raise SetupRefused(
                {"name": _("Another organisation took this name just now.")}
            ) from None
        admin = Recruiter.objects.filter(
            email__iexact=setup.admin_email, organisation__isnull=True
        ).first() or Recruiter(email=setup.admin_email)
        admin.organisation = org
        admin.role = Recruiter.Role.ADMIN
        admin.is_active = True
        admin.first_name, admin.last_name = setup.admin_first_name, setup.admin_last_name
        admin.set_password(setup.password)
        try:
            with transaction.atomic():
                admin.save()
        except IntegrityError:  # the address was taken since it was checked
            raise SetupRefused(
                {
                    "admin_email": _("%(email)s was taken just now: choose another address.")
                    % {"email": setup.admin_email}
                }
            ) from None
        AuditEntry.objects.create(
            organisation=org, at=now, actor=admin, action=AuditEntry.Action.SETUP,
            recruiter=admin, detail={"door": door, "slug": org.slug},
        )  # fmt: skip
    return org, admin


# --- the first-run page's one-time token -------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(now: datetime) -> str | None:
    """A new one-time token for the first-run page, or None when an organisation exists
    (the page is closed then). Expired tokens are forgotten."""
    if Organisation.objects.exists():
        return None
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        SetupToken.objects.filter(expires_at__lte=now).delete()
        SetupToken.objects.create(
            digest=_digest(token), created_at=now, expires_at=now + TOKEN_LIFETIME
        )
    return token


def valid_token(token: str, now: datetime) -> SetupToken | None:
    """The unused, unexpired token `token` is, compared in constant time with each one
    (a handful at most: one per start of `relance web` within the hour)."""
    if not token or len(token) > 200:
        return None
    digest = _digest(token)
    found = None
    for row in SetupToken.objects.filter(used_at__isnull=True, expires_at__gt=now)[:50]:
        if hmac.compare_digest(row.digest, digest):
            found = row
    return found


def use_token(token: SetupToken, now: datetime) -> bool:
    """Mark the token used, if nobody did meanwhile (a conditional update: of two requests
    at the same moment, one wins)."""
    return (
        SetupToken.objects.filter(pk=token.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
        == 1
    )
