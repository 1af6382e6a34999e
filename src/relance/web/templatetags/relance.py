"""Filters that turn the domain's codes into what a recruiter reads, in their language.
The words themselves are in web/labels.py, the one place every label comes from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.translation import ngettext

from relance.web import labels

register = template.Library()


@register.filter
def label(code: str, table: str) -> Any:
    """`{{ stage|label:"stage" }}`: the words for a code of one of labels.TABLES."""
    return labels.label(table, code)


@register.filter
def outcome(touch: Any) -> Any:
    """A touchpoint's outcome in words, whatever its kind (a call's result, a stage…)."""
    return labels.touch_outcome(touch.kind, touch.outcome)


@register.filter
def why(item: Any) -> str:
    """An agenda row's reason: what it is for, or the rule that still holds it back."""
    code = item.delay if item.waiting and item.delay else item.reason
    return labels.reason(code, item.params)


@register.filter
def reason(code: str, params: dict[str, Any] | None = None) -> str:
    return labels.reason(code, params)


@register.filter
def situation(code: str) -> str:
    return labels.situation(code)


@register.simple_tag
def action(situation_code: str, step: int | None, channel: str | None) -> str:
    return labels.action(situation_code, step, channel)


@register.filter
def moment(value: datetime | None, their_zone: str | None = None) -> str:
    """`{{ when|moment }}` or `{{ when|moment:candidate.timezone }}`: in the recruiter's
    time zone, with the candidate's own time beside it when their clock differs."""
    return labels.moment(value, their_zone)


@register.filter
def stars(count: int) -> str:
    return "★" * int(count or 0) + "☆" * (3 - int(count or 0))


@register.filter
def stars_text(count: int) -> str:
    """What the stars say, for those who do not see them: '2 of 3 stars'."""
    n = int(count or 0)
    return ngettext("%(n)s of 3 stars", "%(n)s of 3 stars", n) % {"n": n}


@register.filter
def template_name(name: str) -> Any:
    """A message template's name in words: 'First message · follow-up 1 · e-mail'."""
    return labels.template_name(name)
