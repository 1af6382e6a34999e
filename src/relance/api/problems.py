"""Errors as RFC 9457 problem details (application/problem+json), in the reader's
language (Accept-Language, read by Django's LocaleMiddleware): a status, a short title, a
detail, and for bad input `errors`, one entry per field naming it and what was expected."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://relance.invalid/problems/"  # a name, not a page to fetch (RFC 9457 §3.1.1)


def response(
    status: int,
    kind: str,
    title: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    answer = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        answer[name] = value
    return answer


def invalid(errors: list[dict[str, str]], detail: str = "") -> HttpResponse:
    """422: what was sent cannot be used; each error names its field."""
    return response(
        422,
        "invalid",
        _("The request has invalid values."),
        detail or "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        errors,
    )


def not_found() -> HttpResponse:
    return response(
        404, "not_found", _("Not found."), _("Nothing with this id in your organisation.")
    )


# Pydantic's messages are English only: the common ones, said in the reader's language.
def pydantic_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("required.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("expected a whole number.")
    if kind in ("string_type",):
        return _("expected text.")
    if kind in ("bool_parsing", "bool_type"):
        return _("expected true or false.")
    if kind in ("list_type",):
        return _("expected a list.")
    if kind in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing"):
        return _("expected a date and time in ISO 8601 with its offset.")
    if kind == "timezone_aware":
        return _("expected a date and time with its offset (e.g. +01:00 or Z).")
    if kind == "greater_than_equal":
        return _("at least %(n)s.") % {"n": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("at most %(n)s.") % {"n": ctx.get("le")}
    if kind == "string_too_long":
        return _("at most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "too_long":
        return _("at most %(n)s items.") % {"n": ctx.get("max_length")}
    if kind in ("literal_error", "enum"):
        return _("expected one of %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "extra_forbidden":
        return _("unknown field.")
    if kind in ("json_invalid", "model_attributes_type", "model_type", "dict_type"):
        return _("expected a JSON object.")
    return str(error.get("msg", kind))


def field_of(loc: list[Any] | tuple[Any, ...]) -> str:
    """`["body", "payload", "email"]` → `email`; `["query", "limit"]` → `limit`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in ("payload", "filters", "data"):
            parts = parts[1:]
    return ".".join(parts) or "body"
