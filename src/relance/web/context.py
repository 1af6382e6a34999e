"""What every page's frame needs: the organisation, the recruiter's role, the alerts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "organisation": user.organisation,
        "is_admin": user.role == "admin",
        "demo_mail": user.organisation is not None and user.organisation.slug == "demo",
    }
