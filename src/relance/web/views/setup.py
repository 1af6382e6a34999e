"""The first-run page (the organisation and its first administrator, like `relance
setup`, through the same service: people/setup.py), and the page of a signed-in account
that belongs to no organisation.

The first-run page opens only with the one-time token `relance web` printed in its
console: like an invitation, the link's token moves into the session and the page
continues at an address without it (never in the address bar or a Referer). Without it,
the page says where to find the link, and shows no form; a form posted without it
creates nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from relance import clock
from relance.people import setup
from relance.people.models import Organisation
from relance.web import first_run as first_run_state

SESSION_KEY = "_relance_setup_token"
BACKEND = "relance.web.signin.EmailBackend"


@require_GET
def first_run_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link printed in the console: its token goes into the session."""
    if Organisation.objects.exists():
        return redirect("web:login")
    if setup.valid_token(token, clock.now()) is None:
        return render(request, "web/first_run.html", {"refused": True}, status=403)
    request.session[SESSION_KEY] = token
    return redirect("web:first_run")


@require_http_methods(["GET", "POST"])
def first_run(request: HttpRequest) -> HttpResponse:
    if Organisation.objects.exists():
        return redirect("web:today")
    now = clock.now()
    token = setup.valid_token(request.session.get(SESSION_KEY, ""), now)
    if token is None:
        # A stranger, or a link that expired since it was opened: where to find the link.
        status = 403 if request.method == "POST" else 200
        had_one = SESSION_KEY in request.session
        return render(request, "web/first_run.html", {"locked": True, "expired": had_one},
                      status=status)  # fmt: skip
    if request.method == "GET":
        return _form(request, _defaults(), {})
    values = {field: request.POST.get(field, "") for field in setup.FIELDS}
    raw: dict[str, str | None] = {**values, "password_again": request.POST.get("password_again")}
    try:
        org, admin = setup.create(setup.read(raw), now, token=token, door="first_run")
    except setup.SetupRefused as refused:
        messages.error(request, _("Nothing was created: some values do not fit, see below."))
        return _form(request, values, refused.errors, status=400)
    except setup.TokenRefused:
        return render(request, "web/first_run.html", {"locked": True, "expired": True},
                      status=403)  # fmt: skip
    except setup.AlreadySetUp:
        return redirect("web:login")
    request.session.pop(SESSION_KEY, None)
    first_run_state.organisation_exists()
    login(request, admin, backend=BACKEND)
    messages.success(
        request,
        _("%(org)s is set up, and you are signed in as its administrator.") % {"org": org.name},
    )
    return redirect("web:today")


def _defaults() -> dict[str, str]:
    language = "fr" if (get_language() or "fr").startswith("fr") else "en"
    return {"country": "FR", "timezone": setup.default_timezone("FR"), "language": language}


def _form(
    request: HttpRequest, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> HttpResponse:
    values = {k: v for k, v in values.items() if k != "password"}  # never sent back
    fields = [
        (name, label, kind, values.get(name, ""), errors.get(name, ""), help_text)
        for name, label, kind, help_text in _fields()
    ]
    # The focus goes to the first field to correct (else to the first field).
    first = next((f for f in setup.FIELDS if f in errors), "name")
    return render(
        request,
        "web/first_run.html",
        {"fields": fields, "password_error": errors.get("password", ""), "focus": first},
        status=status,
    )


def _fields() -> list[tuple[str, str, str, str]]:
    """name, label, input kind, help: the form's fields in the order of `relance setup`."""
    return [
        ("name", _("Organisation's name"), "text", ""),
        ("country", _("Country"), "country",
         _("Its ISO code: FR, BE, CH, CA… Public holidays follow it.")),
        ("timezone", _("Time zone"), "timezone", _("Such as Europe/Paris.")),
        ("language", _("Organisation's language"), "language", ""),
        ("legal_name", _("Legal name"), "text",
         _("The information notice sent to candidates names it (the name if empty).")),
        ("address", _("Postal address"), "address", _("Named by the information notice.")),
        ("admin_email", _("Your e-mail (you sign in with it)"), "email", ""),
        ("admin_name", _("Your first and last name"), "text",
         _("Candidates read it in your e-mails.")),
        ("privacy_email", _("E-mail where candidates exercise their rights"), "email",
         _("Your e-mail if empty.")),
        ("website", _("Website (optional)"), "url", ""),
    ]  # fmt: skip


def no_organisation(request: HttpRequest) -> HttpResponse:
    """A signed-in account that belongs to no organisation (made by `createsuperuser`, or
    whose organisation was never set up): what to do, not a bare 404."""
    return render(request, "web/no_organisation.html", status=403)
