"""What candidates experienced, measured from the timeline (DOMAIN.md, "what success looks
like"): the share of applications acknowledged within ten minutes, and the share answered
within 14 days. Counted in the database over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q

from relance.engine import Direction, TouchKind
from relance.followups.models import Touchpoint
from relance.people.models import Job, Organisation

ACK_WITHIN = timedelta(minutes=10)
ANSWER_WITHIN = timedelta(days=14)


@dataclass(frozen=True)
class Experience:
    applications: int
    acknowledged: int  # within ten minutes
    answerable: int  # applications old enough to be judged on the 14 days
    answered: int  # a message or a call from us within 14 days

    @property
    def acknowledged_share(self) -> float | None:
        return self.acknowledged / self.applications if self.applications else None

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.answerable if self.answerable else None

    @property
    def acknowledged_percent(self) -> int | None:
        share = self.acknowledged_share
        return None if share is None else round(share * 100)

    @property
    def answered_percent(self) -> int | None:
        share = self.answered_share
        return None if share is None else round(share * 100)


def measure(
    organisation: Organisation, since: datetime, until: datetime, job: Job | None = None
) -> Experience:
    """Over the applications received in [since, until): of the organisation, or of one
    job (its page)."""
    applications = Touchpoint.objects.of(organisation).filter(
        kind=TouchKind.APPLICATION, at__gte=since, at__lt=until
    )
    if job is not None:
        applications = applications.filter(application__job=job)
    acked = Touchpoint.objects.filter(
        candidate=OuterRef("candidate"),
        kind=TouchKind.ACKNOWLEDGEMENT,
        at__gte=OuterRef("at"),
        at__lte=OuterRef("at") + ACK_WITHIN,
    )
    judged = Q(at__lte=until - ANSWER_WITHIN)
    answer = Touchpoint.objects.filter(
        candidate=OuterRef("candidate"),
        direction=Direction.OUT,
        kind__in=[TouchKind.MESSAGE, TouchKind.CALL],
        at__gt=OuterRef("at"),
        at__lte=OuterRef("at") + ANSWER_WITHIN,
    )
    counts = applications.aggregate(  # one query
        applications=Count("pk"),
        acknowledged=Count("pk", filter=Q(Exists(acked))),
        answerable=Count("pk", filter=judged),
        answered=Count("pk", filter=judged & Q(Exists(answer))),
    )
    return Experience(**counts)
