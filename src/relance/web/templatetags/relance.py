"""Filters that turn the domain's codes into what a recruiter reads, in their language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.translation import get_language

from relance.engine import reasons
from relance.web import labels

register = template.Library()

_TABLES = {
    "stage": labels.STAGES,
    "source": labels.SOURCES,
    "channel": labels.CHANNELS,
    "purpose": labels.PURPOSES,
    "outcome": labels.CALL_OUTCOMES,
    "touch": labels.TOUCH_KINDS,
    "topic": labels.TOPICS,
    "frequency": labels.FREQUENCIES,
}


def reader_language() -> str:
    """`fr` or `en`: the language the page is shown in."""
    return "fr" if (get_language() or "fr").startswith("fr") else "en"


@register.filter
def label(code: str, table: str) -> Any:
    return _TABLES[table].get(code, code) if code else ""


@register.filter
def why(item: Any) -> str:
    """An agenda row's reason: what it is for, or the rule that still holds it back."""
    return str(item.why(reader_language()))


@register.filter
def reason(code: str, params: dict[str, Any] | None = None) -> str:
    return reasons.sentence(code, reader_language(), params or {}) if code else ""


@register.filter
def situation(code: str) -> str:
    return reasons.situation_label(code, reader_language()) if code else ""


@register.simple_tag
def action(situation_code: str, step: int | None, channel: str | None) -> str:
    return reasons.action_label(situation_code, step, channel or None, reader_language())


@register.filter
def moment(value: datetime | None) -> str:
    """A date and time in the reader's language, in the time the value carries."""
    return reasons.format_moment(value, reader_language()) if value else ""


@register.filter
def stars(count: int) -> str:
    return "★" * int(count or 0) + "☆" * (3 - int(count or 0))
