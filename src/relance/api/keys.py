"""API keys: created (the token shown once), found from a token, revoked.

A token is `rlk_` + 8 characters of prefix + `_` + 43 random characters (256 bits from
`secrets`). Only its SHA-256 digest is stored: a stolen database gives no usable key, and
a fast hash is enough for a random secret of that length (a slow one guards guessable
passwords). A token is found by the digest's unique index, then compared again in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import transaction

from relance.api.models import ApiKey
from relance.errors import InputError
from relance.people.models import Organisation, Recruiter

PREFIX = "rlk_"
MAX_NAME = 100
# last_used_at is written at most this often per key: a read costs no write in between.
LAST_USED_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    organisation: Organisation, name: str, scope: str, actor: Recruiter | None, now: datetime
) -> tuple[ApiKey, str]:
    """A new key and its token (the only time it exists in clear)."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InputError(f"name: between 1 and {MAX_NAME} characters, got {len(name)}")
    if scope not in ApiKey.Scope.values:
        raise InputError(f"scope {scope!r}: expected one of {', '.join(ApiKey.Scope.values)}")
    if actor is not None and actor.organisation_id != organisation.pk:
        raise InputError("created by: a recruiter of the organisation")
    prefix = secrets.token_hex(4)
    token = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        organisation=organisation, name=name, scope=scope, prefix=prefix,
        digest=digest(token), created_at=now, created_by=actor,
    )  # fmt: skip
    return key, token


def find(token: str, now: datetime) -> ApiKey | None:
    """The live key of this token, or None (unknown, malformed or revoked)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    wanted = digest(token)
    key = (
        ApiKey.objects.select_related("organisation", "created_by")
        .filter(digest=wanted, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.digest, wanted):
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def revoke(key: ApiKey, actor: Recruiter | None, now: datetime) -> bool:
    """Revoke `key` at once (its next request is refused). False if it already was."""
    with transaction.atomic():
        changed = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor
        )
    if changed:
        key.revoked_at, key.revoked_by = now, actor
    return bool(changed)


def of(organisation: Organisation) -> list[ApiKey]:
    return list(
        ApiKey.objects.filter(organisation=organisation)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-pk")
    )
