"""Jobs: created, changed, closed and reopened, each change written in the audit log (who,
when, which fields from what to what). A job is not a person: its entries name the job,
never a candidate.

Closing a job stops nothing by itself: the candidates still in its process are owed an
answer (DOMAIN.md: a rejection within 14 days), so their applications stay where they are
and their follow-ups run on. A closed job takes no new candidate, application or
interview; reopening it lets them in again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from django.db import transaction

from relance.errors import InputError
from relance.people.models import AuditEntry, Job, Organisation, Recruiter

# The longest text each field holds (the model's), said to whoever types more.
LIMITS = {"title": 200, "family": 120, "client": 200, "location": 120, "description": 50_000}


@dataclass
class JobFields:
    """What a recruiter writes about a job."""

    title: str
    description: str = ""
    client: str = ""  # an agency recruits for clients
    location: str = ""
    contract: str = ""  # Job.Contract, or "" when not said
    owner: Recruiter | None = None  # the recruiter in charge
    family: str = ""  # e.g. "Développement back-end": what pools filter on

    def check(self, organisation: Organisation) -> None:
        """Raise InputError naming the field for a value the model cannot hold. Forms say
        it first, in the reader's language; this guards every other door."""
        self.title = self.title.strip()
        if not self.title:
            raise InputError("job title: a job needs a title")
        for name, limit in LIMITS.items():
            value = getattr(self, name).strip() if name != "description" else self.description
            setattr(self, name, value)
            if len(value) > limit:
                raise InputError(f"job {name}: at most {limit} characters, got {len(value)}")
        if self.contract and self.contract not in Job.Contract.values:
            raise InputError(
                f"job contract {self.contract!r}: expected one of {', '.join(Job.Contract.values)}"
            )
        if self.owner is not None and self.owner.organisation_id != organisation.pk:
            raise InputError("job owner: a recruiter of the organisation")


def _values(job: Job) -> dict[str, Any]:
    return {
        f.name: (job.owner_id if f.name == "owner" else getattr(job, f.name))
        for f in fields(JobFields)
    }


def _audit(job: Job, actor: Recruiter | None, action: str, now: datetime, **detail: Any) -> None:
    AuditEntry.objects.create(
        organisation_id=job.organisation_id, at=now, actor=actor, action=action, job=job,
        detail={"title": job.title, **detail},
    )  # fmt: skip


def create(
    organisation: Organisation, values: JobFields, actor: Recruiter | None, now: datetime
) -> Job:
    values.check(organisation)
    with transaction.atomic():
        job = Job.objects.create(
            organisation=organisation,
            created_at=now,
            **{f.name: getattr(values, f.name) for f in fields(JobFields)},
        )
        _audit(job, actor, AuditEntry.Action.JOB_CREATED, now)
    return job


def change(job: Job, values: JobFields, actor: Recruiter | None, now: datetime) -> list[str]:
    """Save what changed; returns the names of the fields that did (none: nothing written).
    The audit entry holds each change as [before, after] (the description's length only:
    a job's full text would swell the log)."""
    values.check(job.organisation)
    before = _values(job)
    after = {
        f.name: (values.owner.pk if values.owner else None)
        if f.name == "owner"
        else getattr(values, f.name)
        for f in fields(JobFields)
    }
    changed = [name for name in after if after[name] != before[name]]
    if not changed:
        return []
    with transaction.atomic():
        for name in changed:
            setattr(job, name, getattr(values, name))
        job.save(update_fields=changed)
        detail = {
            name: [len(before[name]), len(after[name])]
            if name == "description"
            else [before[name], after[name]]
            for name in changed
        }
        _audit(job, actor, AuditEntry.Action.JOB_CHANGED, now, changes=detail)
    return changed


def close(job: Job, actor: Recruiter | None, now: datetime) -> bool:
    """Close the job (it takes no one new); False when it was closed already."""
    with transaction.atomic():
        done = Job.objects.filter(pk=job.pk, status=Job.Status.OPEN).update(
            status=Job.Status.CLOSED, closed_at=now
        )
        if done:
            job.status, job.closed_at = Job.Status.CLOSED, now
            _audit(job, actor, AuditEntry.Action.JOB_CLOSED, now)
    return bool(done)


def reopen(job: Job, actor: Recruiter | None, now: datetime) -> bool:
    """Open the job again; False when it was open already."""
    with transaction.atomic():
        done = Job.objects.filter(pk=job.pk, status=Job.Status.CLOSED).update(
            status=Job.Status.OPEN, closed_at=None
        )
        if done:
            job.status, job.closed_at = Job.Status.OPEN, None
            _audit(job, actor, AuditEntry.Action.JOB_REOPENED, now)
    return bool(done)


def history(job: Job, limit: int = 20) -> list[AuditEntry]:
    """The job's latest changes, newest first; each entry's `fields` names the fields
    it changed in the form's order (PostgreSQL's jsonb keeps no key order)."""
    order = [f.name for f in fields(JobFields)]
    entries = list(
        AuditEntry.objects.filter(job=job).select_related("actor").order_by("-at", "-pk")[:limit]
    )
    for entry in entries:
        changed = (entry.detail or {}).get("changes") or {}
        entry.fields = [name for name in order if name in changed]  # type: ignore[attr-defined]
    return entries
