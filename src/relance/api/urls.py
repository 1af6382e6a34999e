"""/api/v1/: ninja's routes, each behind guard.guarded (key, rate limit, scope,
idempotency); the OpenAPI document and the docs page are public."""

from django.urls import path

from relance.api import docs, guard
from relance.api.main import api

PUBLIC = {"openapi-json", "openapi-view"}


def _routes() -> list:  # type: ignore[type-arg]
    patterns, _app, _namespace = api.urls
    for pattern in patterns:
        if getattr(pattern, "name", None) not in PUBLIC:
            pattern.callback = guard.guarded(pattern.callback)
    return [path("docs", docs.page, name="docs"), *patterns]


app_name = "api"
urlpatterns = _routes()
