"""`{% cv_section person %}`: the candidate page's CVs (list, text, flag, upload form)."""

from __future__ import annotations

from typing import Any

from django import template

from relance.intake.models import CV
from relance.intake.views import PROBLEMS

register = template.Library()


@register.inclusion_tag("intake/cv_section.html", takes_context=True)
def cv_section(context: Any, person: Any) -> dict[str, Any]:
    cvs = list(
        CV.objects.filter(candidate=person)
        .select_related("uploaded_by")
        .defer("search_text")
        .order_by("-uploaded_at", "-pk")[:20]
    )
    for cv in cvs:
        cv.problem_text = PROBLEMS.get(cv.problem, cv.problem)  # type: ignore[attr-defined]
    return {"person": person, "cvs": cvs, "csrf_token": context.get("csrf_token")}
