"""The candidates' personal links: signed, expiring, and for the consent form single-use.

A link carries the candidate, the organisation, what it opens and when it was issued
(read from Relance's clock, so that a test or the demo can move time); its signature is
the proof, no login needed. Three kinds:

- `consent`: the form to join the talent pool (in a rejection e-mail): valid 60 days,
  used once — a second use shows a page and changes nothing;
- `preferences`: the preference centre (in every pool e-mail): valid 180 days, reusable;
- `withdraw`: withdraw every consent in one click (in every pool e-mail): valid a year,
  idempotent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction

from relance import clock
from relance.people.models import Candidate
from relance.pools.models import UsedLink

SALT = "relance.candidate-link"
LIFETIME = {
    "consent": timedelta(days=60),
    "preferences": timedelta(days=180),
    "withdraw": timedelta(days=365),
}
SINGLE_USE = frozenset({"consent"})
PATH = {"consent": "c/pool", "preferences": "c/preferences", "withdraw": "c/withdraw"}


class LinkProblem(Exception):
    """Why a link cannot be used: `tampered` (changed or incomplete), `expired`, `used`
    (single-use, already used), `gone` (the person is no longer in our records)."""

    def __init__(self, why: str, language: str = "") -> None:
        super().__init__(why)
        self.why = why
        self.language = language  # the person's, when the link is genuine


@dataclass(frozen=True)
class Link:
    candidate: Candidate
    kind: str
    token: str


def token(candidate: Candidate, kind: str, now: datetime | None = None) -> str:
    issued = int((now or clock.now()).timestamp())
    payload = {"c": candidate.pk, "o": candidate.organisation_id, "k": kind, "t": issued}
    return signing.dumps(payload, salt=SALT, compress=True)


def url(candidate: Candidate, kind: str, now: datetime | None = None) -> str:
    return f"{settings.RELANCE_BASE_URL}{path(candidate, kind, now)}"


def path(candidate: Candidate, kind: str, now: datetime | None = None) -> str:
    """The link without the site's address (for a page's own forms)."""
    return f"/{PATH[kind]}/{token(candidate, kind, now)}/"


def read(value: str, kind: str, now: datetime) -> Link:
    """The candidate a link opens, or LinkProblem. Reading never uses a link up."""
    try:
        data = signing.loads(value, salt=SALT)
    except signing.BadSignature:
        raise LinkProblem("tampered") from None
    if not isinstance(data, dict) or data.get("k") != kind:
        raise LinkProblem("tampered")
    candidate = (
        Candidate.objects.filter(pk=data.get("c"), organisation_id=data.get("o"))
        .select_related("organisation")
        .first()
    )
    if candidate is None or candidate.anonymised_at is not None:
        raise LinkProblem("gone")
    issued = datetime.fromtimestamp(int(data.get("t", 0)), tz=now.tzinfo)
    if now - issued > LIFETIME[kind]:
        raise LinkProblem("expired", candidate.language)
    if kind in SINGLE_USE and UsedLink.objects.filter(digest=_digest(value)).exists():
        raise LinkProblem("used", candidate.language)
    return Link(candidate, kind, value)


def use(link: Link, now: datetime) -> None:
    """Mark a single-use link used, in the caller's transaction: a second, concurrent use
    fails here and its transaction rolls back (nothing it changed is kept)."""
    if link.kind not in SINGLE_USE:
        return
    try:
        with transaction.atomic():
            UsedLink.objects.create(
                organisation_id=link.candidate.organisation_id,
                digest=_digest(link.token),
                used_at=now,
            )
    except IntegrityError:
        raise LinkProblem("used", link.candidate.language) from None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
