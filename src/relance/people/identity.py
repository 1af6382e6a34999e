"""Exact identity: is the person in a row (of an import, a form, an API call) one the
organisation already has?

A person is the same when one of these matches an existing candidate of the organisation:

1. an e-mail, whatever its case (`Marie.Dupont@Example.org` is `marie.dupont@example.org`);
2. the LinkedIn profile, normalised (`fr.linkedin.com/in/Marie-Dupont/?trk=x` is
   `https://www.linkedin.com/in/marie-dupont`);
3. the phone in E.164 (`06 12 34 56 78` in France is `+33612345678`).

Normalisation is people/contact.py's, never repeated here. A value that cannot be read
(a malformed address, a phone that cannot exist) matches nothing: it is the caller's job to
report it; identity only answers "who is this?". Blank values never match (two people
without a phone are not the same person). An anonymised candidate has no contact details
left, so nobody matches them.

When the keys point at different candidates, the e-mail wins over the LinkedIn profile,
which wins over the phone (an address is personal; a phone may be a switchboard), and among
candidates matched by the same kind of key the oldest (lowest id) wins. The `Match` says
which key matched and its value: the reason shown to a recruiter ("same e-mail as …").

A *possible* duplicate (a close name at the same company) is not an identity: it is for a
person to review, and lives with the duplicates page, not here.

API
---
- `Identity.read(emails, linkedin_url, phone, country)`: the keys of one person, normalised
  (`pairs()` lists them as (kind, value), strongest first);
  unreadable values are dropped.
- `find(organisation, identity, exclude=None) -> Match | None`: one person (one query).
- `find_many(organisation, identities, exclude=()) -> list[Match | None]`: a batch (an
  import's), one query for the whole batch whatever its size, answers in the same order.
  Within the batch itself, two rows of the same person are not matched to each other: the
  caller decides (an import keeps the first and reports the second).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Lower

from relance.people import contact
from relance.people.models import Candidate, Organisation

# The kinds of key, strongest first.
EMAIL, LINKEDIN, PHONE = "email", "linkedin_url", "phone"
KINDS = (EMAIL, LINKEDIN, PHONE)


@dataclass(frozen=True)
class Identity:
    """The keys of one person: e-mails in lower case, a normalised LinkedIn profile, a phone
    in E.164 (each possibly empty)."""

    emails: tuple[str, ...] = ()
    linkedin_url: str = ""
    phone: str = ""

    @classmethod
    def read(
        cls,
        emails: str | Iterable[str] = (),
        linkedin_url: str = "",
        phone: str = "",
        country: str = "",
    ) -> Identity:
        """The keys from values as typed. A phone without its country code is read as one
        of `country` (the person's, else the organisation's)."""
        if isinstance(emails, str):
            emails = (emails,)
        keys: list[str] = []
        for raw in emails:
            email = _quietly(contact.normalise_email, raw or "").lower()
            if email and email not in keys:
                keys.append(email)
        return cls(
            emails=tuple(keys),
            linkedin_url=_quietly(contact.normalise_linkedin, linkedin_url or ""),
            phone=_quietly(lambda v: contact.normalise_phone(v, country), phone or ""),
        )

    def pairs(self) -> list[tuple[str, str]]:
        """(kind, value) pairs, strongest first."""
        pairs = [(EMAIL, e) for e in self.emails]
        if self.linkedin_url:
            pairs.append((LINKEDIN, self.linkedin_url))
        if self.phone:
            pairs.append((PHONE, self.phone))
        return pairs

    def __bool__(self) -> bool:
        return bool(self.pairs())


@dataclass(frozen=True)
class Match:
    """The existing candidate who is this person, and why: the kind of key (`email`,
    `linkedin_url`, `phone`) and its value."""

    candidate: Candidate
    kind: str
    value: str


def find(
    organisation: Organisation, identity: Identity, exclude: Candidate | None = None
) -> Match | None:
    """The organisation's candidate who is this person, or None."""
    return find_many(organisation, [identity], exclude=[exclude] if exclude else ())[0]


def find_many(
    organisation: Organisation,
    identities: Sequence[Identity],
    exclude: Iterable[Candidate] = (),
) -> list[Match | None]:
    """For each identity, in order, the organisation's candidate who is that person, or
    None. One query for the batch."""
    emails = {e for i in identities for e in i.emails}
    linkedins = {i.linkedin_url for i in identities if i.linkedin_url}
    phones = {i.phone for i in identities if i.phone}
    if not (emails or linkedins or phones):
        return [None] * len(identities)
    wanted = Q()
    if emails:
        wanted |= Q(email_lower__in=emails)
    if linkedins:
        wanted |= Q(linkedin_url__in=linkedins)
    if phones:
        wanted |= Q(phone__in=phones)
    rows = (
        Candidate.objects.of(organisation)
        .alias(email_lower=Lower("email"))
        .filter(wanted, anonymised_at__isnull=True)
        .exclude(pk__in=[c.pk for c in exclude])
        .order_by("pk")
    )
    found: dict[tuple[str, str], Candidate] = {}
    for row in rows:
        for kind, value in ((EMAIL, row.email.lower()), (LINKEDIN, row.linkedin_url),
                            (PHONE, row.phone)):  # fmt: skip
            if value:
                found.setdefault((kind, value), row)  # the oldest keeps the key
    answers: list[Match | None] = []
    for identity in identities:
        match = None
        for key in identity.pairs():
            if key in found:
                match = Match(found[key], *key)
                break
        answers.append(match)
    return answers


def _quietly(normalise, raw: str) -> str:  # type: ignore[no-untyped-def]
    try:
        return str(normalise(raw))
    except contact.ContactProblem:
        return ""
