"""Signing in: the e-mail is found whatever its case, and the sign-in throttle counts
failures per account (the e-mail in lower case) and per client address.

Addresses are stored in lower case when Relance writes them (an invitation, the join
page); accounts made before, or by `createsuperuser`, may hold capitals: reading with
`iexact` finds them too, so no migration is needed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from relance.people.models import Recruiter


def normalise(email: str) -> str:
    """An address as Relance stores it and compares it: trimmed, in lower case. (The
    local part is case-sensitive in theory; no mailbox provider treats it so, and a
    recruiter typing `Alice@` expects to be Alice.)"""
    return email.strip().lower()


def account(email: str) -> Recruiter | None:
    """The recruiter whose address is `email`, whatever its case. Two accounts that differ
    only by case (possible only from before addresses were stored in lower case): the one
    written exactly so, else none — never a guess."""
    found = list(Recruiter.objects.filter(email__iexact=normalise(email))[:2])
    if len(found) == 1:
        return found[0]
    exact = [r for r in found if r.email == email.strip()]
    return exact[0] if len(exact) == 1 else None


class EmailBackend(ModelBackend):
    """Django's ModelBackend, finding the account by its e-mail in any case."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Recruiter | None:
        if username is None:
            username = kwargs.get(Recruiter.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = account(username)
        if user is None:
            # As ModelBackend does: hash anyway, so that an unknown address takes as long
            # to refuse as a wrong password (no timing oracle).
            Recruiter().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def throttled_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account django-axes counts failures for: the e-mail in lower case, so that
    `Alice@…` and `alice@…` share one counter."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username", "") if request is not None else ""
    return normalise(str(raw or ""))


def client_address(request: HttpRequest) -> str | None:
    """The client django-axes counts failures for: REMOTE_ADDR. Behind the TLS proxy,
    waitress has already put there the address the trusted proxy forwarded (and only the
    trusted proxy's); no header is read here, since anyone can send one."""
    return request.META.get("REMOTE_ADDR")
