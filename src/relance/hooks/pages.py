"""The webhooks page (admins): the organisation's endpoints (URL, events, state), a form to
add one — its secret shown once, on the page that answers the form —, rotating a secret,
enabling a disabled endpoint again, removing one; and the delivery log with each
delivery's state, attempts and last answer, and "send again"."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relance import clock
from relance.hooks import addresses, endpoints
from relance.hooks.models import Delivery, Endpoint
from relance.hooks.outbox import EVENTS
from relance.web import labels, scope

LOG = 50  # deliveries shown, newest first


def _page(request: HttpRequest, secret: str = "", problem: str = "",
          status: int = 200) -> HttpResponse:  # fmt: skip
    org = scope.organisation(request)
    chosen = request.POST.getlist("events") if problem else list(EVENTS)
    answer = render(
        request,
        "hooks/webhooks.html",
        {
            "endpoints": Endpoint.objects.filter(organisation=org).order_by("created_at", "pk"),
            "deliveries": Delivery.objects.filter(organisation=org)
            .select_related("endpoint")
            .order_by("-created_at", "-pk")[:LOG],
            "events": [
                (code, labels.label("webhook_event", code), code in chosen) for code in EVENTS
            ],
            "secret": secret,
            "problem": problem,
            "url": request.POST.get("url", "") if problem else "",
        },
        status=status,
    )
    if secret:  # the secret is in this page only: no cache may keep it
        answer["Cache-Control"] = "no-store"
    return answer


@require_http_methods(["GET", "POST"])
@scope.admin_page
def webhooks_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    events = request.POST.getlist("events")
    if not events or any(code not in EVENTS for code in events):
        return _page(request, problem=_("Choose at least one event."), status=400)
    try:
        _endpoint, secret = endpoints.add(
            scope.organisation(request), request.POST.get("url", ""), events,
            scope.me(request), clock.now(),
        )  # fmt: skip
    except addresses.AddressRefused as refused:
        problem = _("This address cannot receive webhooks: %(why)s.") % {
            "why": refused.describe(labels.reader_language())
        }
        return _page(request, problem=problem, status=400)
    return _page(request, secret=secret)


def _owned(model: type[Endpoint] | type[Delivery], request: HttpRequest, field: str):  # type: ignore[no-untyped-def]
    raw = request.POST.get(field, "")
    found = (
        model.objects.filter(organisation=scope.organisation(request), pk=int(raw)).first()
        if raw.isdigit() and len(raw) < 19
        else None
    )
    if found is None:
        raise Http404("no such row")
    return found


@require_POST
@scope.admin_page
def endpoint_action(request: HttpRequest) -> HttpResponse:
    endpoint = _owned(Endpoint, request, "endpoint")
    action = request.POST.get("action", "")
    if action == "rotate":
        return _page(request, secret=endpoints.rotate(endpoint, clock.now()))
    if action == "enable":
        try:
            endpoints.enable(endpoint)
        except addresses.AddressRefused as refused:
            messages.error(request, refused.describe(labels.reader_language()))
        else:
            messages.success(request, _("The endpoint receives events again."))
    elif action == "remove":
        endpoint.delete()
        messages.success(request, _("The endpoint was removed with its delivery log."))
    else:
        raise Http404("no such action")
    return redirect("webhooks")


@require_POST
@scope.admin_page
def send_again(request: HttpRequest) -> HttpResponse:
    delivery = _owned(Delivery, request, "delivery")
    if endpoints.send_again(delivery, clock.now()):
        messages.success(request, _("It will be sent again in a moment, with the same id."))
    else:
        messages.error(
            request, _("It cannot be sent again: it is on its way, or its endpoint is disabled.")
        )
    return redirect("webhooks")
