"""Creating and editing a candidate: every field of the profile read from what a person
typed (a form, a file, a request), checked, normalised, and written in one transaction
with its audit entry — or nothing written at all, and every problem named.

The rules live here; the pages, the list's one-click stars and tags, and the bulk actions
(pools/bulk.py) are doors into these functions.

- Contact details are written one way (people/contact.py): a phone in E.164, a LinkedIn
  profile as https://www.linkedin.com/in/slug, an e-mail with its domain in lower case.
- A duplicate e-mail in the organisation, whatever its case, is refused, naming the person
  who has it (merging is another feature).
- Language, time zone and country default to the organisation's; a time zone is an IANA
  name, a country one whose public holidays Relance knows (the sending window needs them).
- A person added who once asked to be erased is marked do-not-contact by the post_save
  signal of people/rights.py, inside the same transaction.
- The audit log names the fields that changed; it keeps the old and new values of codes
  only (stars, source, owner, language…), never of a name, a contact detail or free text:
  an audit entry outlives an erasure.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import holidays
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relance.engine import Channel
from relance.people import contact, rights
from relance.people.models import (
    AuditEntry,
    Candidate,
    Organisation,
    Recruiter,
    Seniority,
    Source,
)

# The profile's fields, in the order a form shows them.
FIELDS = (
    "first_name", "last_name", "email", "phone", "linkedin_url", "language", "timezone",
    "country", "source", "stars", "owner", "tags", "skills", "years_experience", "seniority",
    "desired_role", "company", "location", "interests", "preferred_channel", "hook",
)  # fmt: skip
FIELD_NAMES = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
    "linkedin_url": gettext_lazy("LinkedIn profile"),
    "language": gettext_lazy("Language"),
    "timezone": gettext_lazy("Time zone"),
    "country": gettext_lazy("Country"),
    "source": gettext_lazy("Source"),
    "stars": gettext_lazy("Stars"),
    "owner": gettext_lazy("Owner"),
    "tags": gettext_lazy("Tags"),
    "skills": gettext_lazy("Skills"),
    "years_experience": gettext_lazy("Years of experience"),
    "seniority": gettext_lazy("Seniority"),
    "desired_role": gettext_lazy("Desired role"),
    "company": gettext_lazy("Company"),
    "location": gettext_lazy("Location"),
    "interests": gettext_lazy("Interests"),
    "preferred_channel": gettext_lazy("Preferred channel"),
    "hook": gettext_lazy("Personal hook"),
    "profile": gettext_lazy("Profile"),
}
# Codes: their old and new values are in the audit log. Every other field is named only.
VALUES_AUDITED = frozenset(
    {"stars", "source", "owner", "language", "timezone", "country", "seniority",
     "preferred_channel", "years_experience"}
)  # fmt: skip
LANGUAGES = ("fr", "en")
TEXT_LIMITS = {
    "first_name": 100, "last_name": 100, "desired_role": 200, "company": 200, "location": 120,
    "hook": 300,
}  # fmt: skip
MAX_LINKEDIN = 200
MAX_STARS = 3
MAX_YEARS = 70
TAG_LENGTH, MAX_TAGS = 40, 30
ITEM_LENGTH, MAX_ITEMS = 60, 50  # a skill, an interest


class CandidateInvalid(ValueError):
    """What was typed cannot be written: `problems` maps each field to what is wrong with it
    and what was expected, in the reader's language. `duplicate` is the person who already
    has the e-mail given, if that is one of the problems."""

    def __init__(self, problems: dict[str, str], duplicate: Candidate | None = None) -> None:
        self.problems = problems
        self.duplicate = duplicate
        super().__init__(self.describe())

    def describe(self) -> str:
        return " ".join(f"{FIELD_NAMES.get(f, f)}: {m}" for f, m in self.problems.items())


@dataclass
class Change:
    """What an edit changed: the fields, and the old and new values of the codes among them
    (what the audit log keeps)."""

    fields: list[str] = field(default_factory=list)
    values: dict[str, list[Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields)


# --- reading what was typed ---------------------------------------------------------------


@cache
def time_zones() -> dict[str, str]:
    """Every IANA time zone name (tzdata), by its lower case: 'europe/paris' is read as
    'Europe/Paris'."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


@cache
def countries() -> frozenset[str]:
    """The two-letter codes (ISO 3166-1) of the countries whose public holidays `holidays`
    knows: a candidate's country decides their non-working days (hard rule 6)."""
    return frozenset(code for code in holidays.list_supported_countries() if len(code) == 2)


def split_list(raw: str | Iterable[str]) -> list[str]:
    """A list typed as one text: items separated by commas or new lines."""
    if isinstance(raw, str):
        raw = raw.replace("\n", ",").split(",")
    return [" ".join(str(item).split()) for item in raw if str(item).strip()]


def with_tag(rows: QuerySet[Candidate], tag: str) -> QuerySet[Candidate]:
    """The rows that carry `tag`, whatever its case: the list page's filter and the API's.
    Tags are a JSON list whose text holds each tag in double quotes (a tag holds none) on
    every database; SQLite's text writes a letter outside ASCII escaped, as json.dumps
    does ("d\\u00e9v"), PostgreSQL's as it is: both forms are looked for."""
    tag = " ".join(tag.split())
    plain, escaped = f'"{tag}"', json.dumps(tag)
    condition = Q(tags__icontains=plain)
    if escaped != plain:
        condition |= Q(tags__icontains=escaped)
    return rows.filter(condition)


def normalise_tag(raw: str) -> str:
    """A tag as it is stored: single spaces, lower case ("Java " and "java" are one tag).
    Raises ValueError (its message translated) for one that cannot be a tag."""
    tag = " ".join(raw.split()).lower()
    if not tag:
        raise ValueError(_("a tag cannot be empty."))
    if len(tag) > TAG_LENGTH:
        raise ValueError(
            _("“%(tag)s” has %(n)s characters: a tag has at most %(max)s.")
            % {"tag": tag, "n": len(tag), "max": TAG_LENGTH}
        )
    if any(c in tag for c in ',"'):
        raise ValueError(
            _("“%(tag)s”: a tag holds neither a comma nor a double quote.") % {"tag": tag}
        )
    return tag


def read(
    organisation: Organisation, data: Mapping[str, Any], current: Candidate | None = None
) -> dict[str, Any]:
    """The values to write, read from `data` (each field as typed: text, or a list for the
    list fields). For a new candidate (`current` None) a missing field takes its default; for
    an edit, a missing field is left as it is. Raises CandidateInvalid naming every
    problem at once."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}

    def given(name: str) -> bool:
        return name in data

    def text(name: str) -> str:
        value = data.get(name, "")
        return str(value).strip() if value is not None else ""

    # Names and the one-line texts: single spaces, never cut.
    for name, limit in TEXT_LIMITS.items():
        if current is not None and not given(name):
            continue
        value = " ".join(text(name).split())
        if len(value) > limit:
            problems[name] = _("%(n)s characters: at most %(max)s.") % {
                "n": len(value),
                "max": limit,
            }
        values[name] = value
    if "first_name" in values and not values["first_name"]:
        problems["first_name"] = _("required (at most 100 characters).")

    for name, choices, default, required in (
        ("language", LANGUAGES, organisation.language, True),
        ("source", Source.values, "", True),
        ("seniority", Seniority.values, "", False),
        ("preferred_channel", [c.value for c in Channel], "", False),
    ):
        if current is not None and not given(name):
            continue
        value = text(name) or default
        if value and value not in choices:
            problems[name] = _("“%(value)s”: expected one of %(choices)s.") % {
                "value": value,
                "choices": ", ".join(choices),
            }
        elif required and not value:
            problems[name] = _("required: expected one of %(choices)s.") % {
                "choices": ", ".join(choices)
            }
        values[name] = value

    if current is None or given("timezone"):
        raw = text("timezone") or organisation.timezone
        zone = time_zones().get(raw.lower())
        if zone is None:
            problems["timezone"] = _(
                "“%(value)s” is not a time zone: expected an IANA name, like Europe/Paris "
                "or America/New_York."
            ) % {"value": raw}
        values["timezone"] = zone or raw
    if current is None or given("country"):
        raw = text("country") or organisation.country
        if raw.upper() not in countries():
            problems["country"] = _(
                "“%(value)s” is not a country whose public holidays Relance knows: expected "
                "a two-letter code (ISO 3166), like FR, BE, CH or CA."
            ) % {"value": raw}
        values["country"] = raw.upper()

    if current is None or given("stars"):
        raw = text("stars") or "0"
        if not raw.isdigit() or int(raw) > MAX_STARS:
            problems["stars"] = _("“%(value)s”: expected a whole number from 0 to 3.") % {
                "value": raw
            }
        else:
            values["stars"] = int(raw)
    if current is None or given("years_experience"):
        raw = text("years_experience")
        if raw and (not raw.isdigit() or int(raw) > MAX_YEARS):
            problems["years_experience"] = _(
                "“%(value)s”: expected a whole number of years from 0 to %(max)s, or nothing."
            ) % {"value": raw, "max": MAX_YEARS}
        else:
            values["years_experience"] = int(raw) if raw else None

    if given("owner"):
        raw = text("owner")
        owner = None
        if raw:
            owner = (
                Recruiter.objects.filter(organisation=organisation, is_active=True, pk=raw).first()
                if raw.isdigit()
                else None
            )
            if owner is None:
                problems["owner"] = _(
                    "“%(value)s” is not a recruiter of your organisation: choose one in the "
                    "list, or nobody."
                ) % {"value": raw}
        values["owner"] = owner

    if current is None or given("tags"):
        tags: list[str] = []
        for item in split_list(data.get("tags") or []):
            try:
                tag = normalise_tag(item)
            except ValueError as error:
                problems["tags"] = str(error)
                break
            if tag not in tags:
                tags.append(tag)
        if len(tags) > MAX_TAGS:
            problems["tags"] = _("%(n)s tags: at most %(max)s.") % {"n": len(tags), "max": MAX_TAGS}
        values["tags"] = tags
    for name in ("skills", "interests"):
        if current is not None and not given(name):
            continue
        items: list[str] = []
        for item in split_list(data.get(name) or []):
            if len(item) > ITEM_LENGTH:
                problems[name] = _("“%(item)s” has %(n)s characters: at most %(max)s.") % {
                    "item": item,
                    "n": len(item),
                    "max": ITEM_LENGTH,
                }
            if item.lower() not in (i.lower() for i in items):
                items.append(item)
        if len(items) > MAX_ITEMS:
            problems[name] = _("%(n)s items: at most %(max)s.") % {
                "n": len(items),
                "max": MAX_ITEMS,
            }
        values[name] = items

    # Contact details, last: a phone without its country code is read as one of the
    # candidate's country (the one just typed, else the one they have), else of the
    # organisation's (how its recruiters write the numbers of their own country).
    if current is None or given("email"):
        try:
            values["email"] = contact.normalise_email(text("email"))
        except contact.ContactProblem as problem:
            problems["email"] = str(problem)
    if current is None or given("phone"):
        country = values.get("country") or (current.country if current else organisation.country)
        try:
            values["phone"] = contact.normalise_phone(text("phone"), country)
        except contact.ContactProblem as problem:
            try:
                values["phone"] = contact.normalise_phone(text("phone"), organisation.country)
            except contact.ContactProblem:
                problems["phone"] = str(problem)
    if current is None or given("linkedin_url"):
        try:
            values["linkedin_url"] = contact.normalise_linkedin(text("linkedin_url"))
        except contact.ContactProblem as problem:
            problems["linkedin_url"] = str(problem)
        if len(values.get("linkedin_url", "")) > MAX_LINKEDIN:
            problems["linkedin_url"] = _("%(n)s characters: at most %(max)s.") % {
                "n": len(values["linkedin_url"]),
                "max": MAX_LINKEDIN,
            }
    ways = ("email", "phone", "linkedin_url")
    reachable = [values.get(f, getattr(current, f, "")) for f in ways]
    asked = current is None or any(given(f) for f in ways)
    if asked and not any(reachable) and not (set(ways) & problems.keys()):
        problems["email"] = _(
            "give at least one way to reach them: an e-mail, a phone or a LinkedIn profile."
        )

    duplicate = None
    if values.get("email") and "email" not in problems:
        duplicate = same_email(organisation, values["email"], current)
        if duplicate is not None:
            problems["email"] = _(
                "%(email)s is already the address of %(name)s, a candidate of your "
                "organisation: open their page rather than adding them twice."
            ) % {"email": values["email"], "name": duplicate.full_name or f"#{duplicate.pk}"}
    if problems:
        ordered = {f: problems[f] for f in FIELDS if f in problems}
        raise CandidateInvalid(ordered, duplicate)
    return values


def same_email(
    organisation: Organisation, email: str, current: Candidate | None = None
) -> Candidate | None:
    """The organisation's candidate who has this address, whatever its case (the
    candidate_org_email index)."""
    rows = (
        Candidate.objects.of(organisation)
        .alias(email_lower=Lower("email"))
        .filter(email_lower=email.lower())
    )
    if current is not None:
        rows = rows.exclude(pk=current.pk)
    return rows.order_by("pk").first()


# --- writing ---------------------------------------------------------------------------


def create(
    organisation: Organisation,
    data: Mapping[str, Any],
    actor: Recruiter | None,
    now: datetime,
) -> Candidate:
    """A new candidate from what was typed; its owner is `actor` unless the data names
    another (or nobody). One transaction: the row, the erasure check, the audit entry."""
    data = dict(data)
    if "owner" not in data:
        data["owner"] = str(actor.pk) if actor is not None else ""
    with transaction.atomic():
        values = read(organisation, data)
        candidate = Candidate(organisation=organisation, created_at=now, **values)
        candidate.save()  # post_save: an erased person's address marks them do-not-contact
        filled = [f for f in FIELDS if values.get(f) not in ("", None, [])]
        rights.audit(
            candidate, actor, AuditEntry.Action.CHANGED, now, created=True, fields=filled,
            values={f: [None, _audit_value(values[f])] for f in filled if f in VALUES_AUDITED},
        )  # fmt: skip
    return candidate


def update(
    candidate: Candidate,
    data: Mapping[str, Any],
    actor: Recruiter | None,
    now: datetime,
    *,
    via: str = "profile",
) -> Change:
    """Write the fields given in `data` (the others stay as they are). Nothing is written
    when one of them is wrong. `via` says which door, for the audit log: `profile` (the
    form), `list` (a click on the list), `bulk`."""
    with transaction.atomic():
        person = Candidate.objects.select_for_update().get(pk=candidate.pk)
        person.organisation = candidate.organisation
        if person.anonymised_at is not None:
            raise CandidateInvalid(
                {"profile": _("this person was anonymised: there is nothing left to edit.")}
            )
        values = read(candidate.organisation, data, person)
        change = Change()
        for name, value in values.items():
            old = person.owner_id if name == "owner" else getattr(person, name)
            new = value.pk if name == "owner" and value is not None else value
            if old != new:
                change.fields.append(name)
                if name in VALUES_AUDITED:
                    change.values[name] = [old, new]
                setattr(person, name, value)
        if change:
            person.save(update_fields=change.fields)
            rights.audit(person, actor, AuditEntry.Action.CHANGED, now,
                         fields=change.fields, values=change.values, via=via)  # fmt: skip
    _refresh(candidate, person, change.fields)
    return change


def set_stars(
    candidate: Candidate, stars: str, actor: Recruiter | None, now: datetime, *, via: str
) -> Change:
    return update(candidate, {"stars": stars}, actor, now, via=via)


def set_owner(
    candidate: Candidate, owner: str, actor: Recruiter | None, now: datetime, *, via: str
) -> Change:
    return update(candidate, {"owner": owner}, actor, now, via=via)


def change_tags(
    candidate: Candidate,
    actor: Recruiter | None,
    now: datetime,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    via: str,
) -> Change:
    """Add and remove tags (each normalised; one already there, or not there, changes
    nothing). Raises CandidateInvalid for a tag that cannot be one."""
    try:
        added = [normalise_tag(t) for t in add]
        removed = {normalise_tag(t) for t in remove}
    except ValueError as error:
        raise CandidateInvalid({"tags": str(error)}) from None
    with transaction.atomic():
        person = Candidate.objects.select_for_update().only("pk", "tags", "anonymised_at")
        current = person.get(pk=candidate.pk)
        tags = [t for t in current.tags if t.lower() not in removed]
        tags += [t for t in dict.fromkeys(added) if t not in (x.lower() for x in tags)]
        if tags == current.tags:
            return Change()
        return update(candidate, {"tags": tags}, actor, now, via=via)


def _audit_value(value: Any) -> Any:
    return value.pk if isinstance(value, Recruiter) else value


def _refresh(candidate: Candidate, person: Candidate, fields: list[str]) -> None:
    """The caller's object shows what was written."""
    for name in fields:
        setattr(candidate, name, getattr(person, name))
    if "owner" in fields:
        candidate.owner = person.owner
