"""The agenda: what is due, in priority order. An index range scan on `attention_at`
(see the partial indexes on Thread), so its cost follows what is due."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from relance.engine import calendar
from relance.engine.reasons import sentence
from relance.followups import sql
from relance.followups.models import Thread
from relance.people.models import Application, Candidate, Job, Organisation, Recruiter


def end_of_day(now: datetime, organisation: Organisation) -> datetime:
    """The end of today in the organisation's time zone: an agenda shows the whole day."""
    day = calendar.local(now, organisation.timezone).date()
    return max(now, calendar.at_local(day, time(23, 59), organisation.timezone))


def due_threads(
    organisation: Organisation,
    until: datetime,
    recruiter: Recruiter | None = None,
    limit: int | None = 50,
) -> list[Thread]:
    """The due threads as model objects, for pages that act on them."""
    rows = _due(organisation, until, recruiter).order_by("priority", "pk")
    rows = rows.select_related("candidate", "recruiter", "application", "application__job")
    return list(rows[:limit] if limit is not None else rows)


def held_back(
    organisation: Organisation, recruiter: Recruiter, until: datetime, limit: int = 20
) -> list[Thread]:
    """A recruiter's follow-ups that were due by `until` but that a rule (or a snooze)
    holds back to a later day: shown with that rule, not hidden. They are read through
    the recruiter's agenda index (their open threads due later), so this is offered for
    one recruiter, not for a whole team."""
    rows = Thread.objects.filter(
        organisation=organisation,
        recruiter=recruiter,
        status=Thread.Status.OPEN,
        attention_at__gt=until,
        nominal_at__lte=until,
    ).exclude(delay_reason="")
    rows = rows.select_related("candidate", "recruiter", "application", "application__job")
    return list(rows.order_by("attention_at", "pk")[:limit])


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
    source: str = ""
    open: bool = True

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


def item_of(thread: Thread, now: datetime) -> Item:
    """One thread as an agenda row, from the model (after an action changed it)."""
    candidate = thread.candidate
    application = thread.application
    tz = candidate.timezone
    due_at = thread.due_at or thread.stopped_at or now
    return Item(
        thread_id=thread.pk,
        due_at=calendar.local(due_at, tz),
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
        waiting=thread.status == Thread.Status.OPEN and due_at > now,
        params=dict(thread.reason_params),
        recruiter=thread.recruiter.email if thread.recruiter is not None else "",
        source=candidate.source,
        open=thread.status == Thread.Status.OPEN,
    )


def items(
    organisation: Organisation,
    until: datetime,
    now: datetime,
    recruiter: Recruiter | None = None,
    limit: int | None = 50,
) -> list[Item]:
    """The agenda, ready to show: what needs attention by `until`, in priority order.

    This is the hot path of every recruiter's day, so it is one hand-written query for
    exactly the columns shown, with no model objects: building the ORM query and its
    objects costs several times what the database spends on the index range scan.
    """
    rows = sql.fetch(*items_sql(organisation, until, recruiter, limit))
    out = []
    for row in rows:
        (pk, due_at, deadline_at, candidate_id, first, last, stars, tz, stage, job, situation,
         step, channel, kind, reason, delay, params_json, email, source) = row  # fmt: skip
        due_at = sql.moment(due_at)
        deadline_at = sql.moment(deadline_at) if deadline_at is not None else None
        out.append(
            Item(
                thread_id=pk,
                due_at=calendar.local(due_at, tz),
                deadline_at=calendar.local(deadline_at, tz) if deadline_at else None,
                overdue=deadline_at is not None and deadline_at <= now,
                candidate_id=candidate_id,
                candidate=f"{first} {last}".strip(),
                stars=stars,
                stage=stage or "",
                job=job or "",
                situation=situation,
                step=step,
                channel=channel,
                kind=kind,
                reason=reason,
                delay=delay,
                waiting=due_at > now,
                params=json.loads(params_json) if isinstance(params_json, str) else params_json,
                recruiter=email or "",
                source=source,
            )
        )
    return out


def items_sql(
    organisation: Organisation, until: datetime, recruiter: Recruiter | None, limit: int | None
) -> tuple[str, list[Any]]:
    """The agenda query. Its WHERE matches the partial indexes thread_agenda_recruiter and
    thread_agenda_org (status = 'open', then organisation, [recruiter,] attention_at)."""
    tables = {
        "thread": sql.table(Thread),
        "candidate": sql.table(Candidate),
        "application": sql.table(Application),
        "job": sql.table(Job),
        "recruiter": sql.table(Recruiter),
    }
    params: list[Any] = [organisation.pk]
    by_recruiter = ""
    if recruiter is not None:
        by_recruiter = "AND recruiter_id = %s"
        params.append(recruiter.pk)
    params.append(sql.param(until))
    bounded = ""
    if limit is not None:
        bounded = "LIMIT %s"
        params.append(int(limit))
    # The ids of the first `limit` due threads come from the index alone; only those rows
    # are then read and joined.
    query = f"""
        SELECT t.id, t.due_at, t.deadline_at, c.id, c.first_name, c.last_name, c.stars,
               c.timezone, a.stage, j.title, t.situation, t.next_step, t.next_channel,
               t.next_kind, t.reason, t.delay_reason, t.reason_params, r.email, c.source
        FROM (
            SELECT id, priority FROM {tables["thread"]}
            WHERE status = 'open' AND organisation_id = %s {by_recruiter}
              AND attention_at <= %s
            ORDER BY priority, id
            {bounded}
        ) due
        JOIN {tables["thread"]} t ON t.id = due.id
        JOIN {tables["candidate"]} c ON c.id = t.candidate_id
        LEFT JOIN {tables["application"]} a ON a.id = t.application_id
        LEFT JOIN {tables["job"]} j ON j.id = a.job_id
        LEFT JOIN {tables["recruiter"]} r ON r.id = t.recruiter_id
        ORDER BY due.priority, due.id
    """  # table names come from the models; every value is a bound parameter
    return query, params


def plan(organisation: Organisation, until: datetime) -> list[tuple[Any, ...]]:
    """Everything due in the organisation by `until`, every rule already applied (the
    stored decisions), in priority order, for the worker and the team view: tuples of
    (thread, candidate, recruiter, situation, kind, step, channel, due_at, priority).
    One index range scan, no model objects."""
    rows = sql.fetch(*plan_sql(organisation, until))
    return [(*row[:7], sql.moment(row[7]), row[8]) for row in rows]


def plan_sql(organisation: Organisation, until: datetime) -> tuple[str, list[Any]]:
    query = f"""
        SELECT id, candidate_id, recruiter_id, situation, next_kind, next_step, next_channel,
               due_at, priority
        FROM {sql.table(Thread)}
        WHERE status = 'open' AND organisation_id = %s AND attention_at <= %s
        ORDER BY priority, id
    """  # table name from the model; every value is a bound parameter
    return query, [organisation.pk, sql.param(until)]
