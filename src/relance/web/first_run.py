"""While no organisation exists, every page of the web app leads to the first-run page
(web/views/setup.py): a fresh install shows what to do, never "Not Found".

Only the recruiters' pages are concerned (the `web` namespace); the candidates' pages,
the language switch and static files are left alone. A recruiter signed in with an
organisation proves one exists without a query; otherwise one `EXISTS` query is made,
until the answer is yes (organisations are never deleted while the app runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from relance.people.models import Organisation

# The pages open while no organisation exists: the first-run page itself, and signing out.
OPEN = frozenset({"first_run", "first_run_link", "logout"})

_seen = False


def organisation_exists(request: HttpRequest | None = None) -> bool:
    global _seen
    user = getattr(request, "user", None)
    if _seen or (user is not None and getattr(user, "organisation_id", None) is not None):
        return True
    _seen = Organisation.objects.exists()
    return _seen


def forget() -> None:
    """Ask the database again next time (tests that empty it)."""
    global _seen
    _seen = False


class FirstRun:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace != "web" or match.url_name in OPEN:
            return None
        if organisation_exists(request):
            return None
        return redirect("web:first_run")
