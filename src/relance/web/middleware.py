"""Per-request settings taken from the signed-in recruiter's organisation."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def organisation_time(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[..., HttpResponse]:
    """Show dates and times in the organisation's time zone."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        organisation = (
            getattr(user, "organisation", None) if user and user.is_authenticated else None
        )
        if organisation is not None:
            timezone.activate(organisation.timezone)
        else:
            timezone.deactivate()
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware
