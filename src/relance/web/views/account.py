"""Signing in and out, and an invited recruiter joining their organisation.

An invitation is a signed link that carries the organisation, the address and the role
(valid PASSWORD_RESET_TIMEOUT, 3 days by default); the account is made when the invited
person chooses their password, so inviting changes nothing until then. The admin who
invites gets the same answer and the same kind of link whether the address is new or
already has an account elsewhere: only the person who opens the link, normally the
address's owner, learns that it cannot join (see `settings.invite`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth
from django.contrib.auth.forms import SetPasswordForm
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from relance import clock
from relance.people import team
from relance.people.models import AuditEntry, Organisation, Recruiter
from relance.web.signin import account, normalise

login = auth.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True)
logout = auth.LogoutView.as_view()

# Links made before invitations were signed links (an account without a password and
# Django's password-reset link) keep working until they expire.
join_with_account = auth.PasswordResetConfirmView.as_view(
    template_name="web/join.html", success_url="/login/?joined=1", post_reset_login=False
)

_SALT = "relance.web.invitation"
_SESSION_KEY = "_relance_invitation"
# Like Django's password reset, the link's token moves into the session and the page
# continues at an address without it: it never shows in the address bar or a Referer.
SET_PASSWORD = "set-password"


def invitation_link(
    request: HttpRequest, org: Organisation, email: str, role: str, first: str, last: str
) -> str:
    token = signing.dumps(
        {"o": org.pk, "e": normalise(email), "r": role, "f": first, "l": last},
        salt=_SALT,
        compress=True,
    )
    return request.build_absolute_uri(reverse("web:join", args=[token]))


def _invitation(token: str) -> dict[str, Any] | None:
    try:
        found = signing.loads(token, salt=_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:  # tampered with, or expired
        return None
    return found if isinstance(found, dict) else None


def join(request: HttpRequest, token: str) -> HttpResponse:
    if token != SET_PASSWORD:
        if _invitation(token) is None:
            return render(request, "web/join.html", {"validlink": False})
        request.session[_SESSION_KEY] = token
        return redirect("web:join", token=SET_PASSWORD)
    invitation = _invitation(request.session.get(_SESSION_KEY, ""))
    org = invitation and Organisation.objects.filter(pk=invitation["o"]).first()
    if invitation is None or org is None:
        return render(request, "web/join.html", {"validlink": False})
    email = invitation["e"]
    existing = account(email)
    if existing is not None and existing.organisation_id is None:
        return _join_as_signed_in(request, existing, org, invitation)
    if existing is not None and existing.organisation_id != org.pk:
        # Its owner may know: the account is theirs. One account, one organisation.
        return render(request, "web/join.html", {"validlink": False, "taken": email})
    if existing is not None and existing.has_usable_password():
        return render(request, "web/join.html", {"validlink": False})  # already used
    person = existing or Recruiter(email=email, organisation=org)
    form = SetPasswordForm(person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["new_password1"]
        try:
            with transaction.atomic():
                if existing is None:
                    Recruiter.objects.create_user(
                        email, password, organisation=org, role=invitation["r"],
                        first_name=invitation["f"], last_name=invitation["l"],
                    )  # fmt: skip
                else:  # an account invited before links were signed: it joins now
                    existing.set_password(password)
                    existing.save(update_fields=["password"])
        except IntegrityError:  # the same link used twice at the same moment
            return render(request, "web/join.html", {"validlink": False})
        del request.session[_SESSION_KEY]
        joined = account(email)
        if joined is not None:
            team.record(org.pk, joined, AuditEntry.Action.JOINED, joined, clock.now(),
                        role=joined.role)  # fmt: skip
        return redirect(reverse("web:login") + "?joined=1")
    return render(request, "web/join.html", {"validlink": True, "form": form, "email": email})


def _join_as_signed_in(
    request: HttpRequest, person: Recruiter, org: Organisation, invitation: dict[str, Any]
) -> HttpResponse:
    """An account that belongs to no organisation (made by `createsuperuser`) joins with
    its own password: its owner signs in first, then confirms. The link alone never sets
    an existing account's password (whoever holds the link is not proven to own it)."""
    if request.user.pk != person.pk:
        back = reverse("web:login") + "?next=" + reverse("web:join", args=[SET_PASSWORD])
        context = {"validlink": False, "sign_in_first": person.email, "login": back}
        return render(request, "web/join.html", context)
    if request.method != "POST":
        return render(request, "web/join.html", {"validlink": False, "confirm": org})
    with transaction.atomic():
        changed = Recruiter.objects.filter(pk=person.pk, organisation__isnull=True).update(
            organisation=org, role=invitation["r"]
        )
        if changed:
            team.record(org.pk, person, AuditEntry.Action.JOINED, person, clock.now(),
                        role=invitation["r"])  # fmt: skip
    del request.session[_SESSION_KEY]
    return redirect("web:today")
