"""The API keys page (admins): the organisation's keys with their scope, creator, last use
or revocation; a form to create one, whose token is shown once on the page that answers
the form (never stored, never in a message that a reload would show again); revoking."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relance import clock
from relance.api import keys
from relance.api.models import ApiKey
from relance.errors import InputError
from relance.web import scope


def _page(
    request: HttpRequest, token: str = "", problem: str = "", status: int = 200
) -> HttpResponse:
    answer = render(
        request,
        "api/keys.html",
        {
            "keys": keys.of(scope.organisation(request)),
            "token": token,
            "problem": problem,
            "scopes": [("read", _("Read")), ("write", _("Read and write"))],
            "name": request.POST.get("name", "") if problem else "",
        },
        status=status,
    )
    if token:  # the token is in this page only: no cache may keep it
        answer["Cache-Control"] = "no-store"
    return answer


@require_http_methods(["GET", "POST"])
@scope.admin_page
def keys_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    try:
        _key, token = keys.create(
            scope.organisation(request),
            request.POST.get("name", ""),
            request.POST.get("scope", ""),
            scope.me(request),
            clock.now(),
        )
    except InputError:
        problem = _(
            "Give the key a name (at most 100 characters) and choose read, or read and write."
        )
        return _page(request, problem=problem, status=400)
    return _page(request, token=token)


@require_POST
@scope.admin_page
def revoke(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("key", "")
    key = (
        ApiKey.objects.filter(organisation=scope.organisation(request), pk=int(raw)).first()
        if raw.isdigit() and len(raw) < 19
        else None
    )
    if key is None:
        raise Http404("no such key")
    if keys.revoke(key, scope.me(request), clock.now()):
        messages.success(
            request, _("Key %(name)s revoked: its requests are refused.") % {"name": key.name}
        )
    return redirect("api_keys")
