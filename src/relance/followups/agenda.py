"""The agenda: what is due, in priority order. An index range scan on `attention_at`
(see the partial indexes on Thread), so its cost follows what is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from relance.engine import calendar
from relance.engine.reasons import sentence
from relance.followups.models import Thread
from relance.people.models import Organisation, Recruiter


def due_threads(
    organisation: Organisation,
    until: datetime,
    recruiter: Recruiter | None = None,
    limit: int | None = 50,
) -> list[Thread]:
    rows = _due(organisation, until, recruiter).order_by("priority", "pk")
    rows = rows.select_related("candidate", "recruiter", "application", "application__job")
    return list(rows[:limit] if limit is not None else rows)


def count_due(
    organisation: Organisation, until: datetime, recruiter: Recruiter | None = None
) -> int:
    return _due(organisation, until, recruiter).count()


def _due(organisation: Organisation, until: datetime, recruiter: Recruiter | None) -> Any:
    rows = Thread.objects.filter(
        organisation=organisation, status=Thread.Status.OPEN, attention_at__lte=until
    )
    if recruiter is not None:
        rows = rows.filter(recruiter=recruiter)
    return rows


@dataclass(frozen=True)
class Item:
    """One row of the agenda, ready to show."""

    thread_id: int
    due_at: datetime  # in the candidate's time zone
    deadline_at: datetime | None
    overdue: bool
    candidate_id: int
    candidate: str
    stars: int
    stage: str
    job: str
    situation: str
    step: int | None
    channel: str
    kind: str
    reason: str
    delay: str
    waiting: bool  # held back by a rule: shown because its deadline is near or past
    params: dict[str, Any]
    recruiter: str

    def why(self, language: str) -> str:
        """Why it is due; while a rule still holds it back, that rule."""
        code = self.delay if self.waiting and self.delay else self.reason
        return sentence(code, language, self.params)

    def as_json(self, language: str) -> dict[str, Any]:
        return {
            "thread": self.thread_id,
            "due_at": self.due_at.isoformat(),
            "deadline_at": self.deadline_at.isoformat() if self.deadline_at else None,
            "overdue": self.overdue,
            "candidate": {"id": self.candidate_id, "name": self.candidate, "stars": self.stars},
            "stage": self.stage,
            "job": self.job,
            "situation": self.situation,
            "step": self.step,
            "channel": self.channel or None,
            "kind": self.kind,
            "reason": self.reason,
            "waiting_for": self.delay if self.waiting else None,
            "why": self.why(language),
            "recruiter": self.recruiter,
        }


def items(threads: list[Thread], now: datetime) -> list[Item]:
    out = []
    for thread in threads:
        candidate = thread.candidate
        tz = candidate.timezone
        assert thread.due_at is not None
        application = thread.application
        out.append(
            Item(
                thread_id=thread.pk,
                due_at=calendar.local(thread.due_at, tz),
                deadline_at=calendar.local(thread.deadline_at, tz) if thread.deadline_at else None,
                overdue=thread.deadline_at is not None and thread.deadline_at <= now,
                candidate_id=candidate.pk,
                candidate=candidate.full_name,
                stars=candidate.stars,
                stage=application.stage if application is not None else "",
                job=application.job.title if application is not None else "",
                situation=thread.situation,
                step=thread.next_step,
                channel=thread.next_channel,
                kind=thread.next_kind,
                reason=thread.reason,
                delay=thread.delay_reason,
                waiting=thread.due_at > now,
                params=thread.reason_params,
                recruiter=thread.recruiter.email if thread.recruiter else "",
            )
        )
    return out
