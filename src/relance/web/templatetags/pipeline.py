"""What the candidate page shows of each application's interviews (its `#stage` card),
read in one query for all of them."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from relance import clock
from relance.people.models import Application, Interview

register = template.Library()


@register.simple_tag
def with_interviews(applications: Iterable[Application]) -> str:
    """`{% with_interviews applications %}`: gives each application `interviews_shown`,
    its planned and past interviews, the latest first (cancelled ones left out); each
    planned one whose time has come is marked `past` (ask whether it took place)."""
    rows = list(applications)
    by_application: dict[int, list[Interview]] = {a.pk: [] for a in rows}
    if rows:
        now = clock.now()
        found = (
            Interview.objects.filter(application_id__in=list(by_application))
            .exclude(status=Interview.Status.CANCELLED)
            .select_related("interviewer")
            .order_by("-at")
        )
        for interview in found[:100]:
            interview.past = interview.at <= now  # type: ignore[attr-defined]
            by_application[interview.application_id].append(interview)
    for application in rows:
        application.interviews_shown = by_application[application.pk]  # type: ignore[attr-defined]
    return ""
