"""A recruiter leaves the team: their work is handed over to a colleague the admin
chooses, in one transaction with the deactivation, so that nothing is ever left without
someone to do it.

What is handed over, and why:
- their open follow-ups (threads): the next step is the colleague's, on their agenda;
  what was done stays under the name of who did it (stopped threads, the timeline);
- the candidates they own: a new follow-up of such a candidate goes to the owner
  (followups/services.py), and an owner who cannot sign in would never see it;
- the jobs they are in charge of, open or closed (a closed job may reopen): a new
  application goes to the job's recruiter first;
- the interviews still scheduled where they were the interviewer.
E-mails already written to the outbox leave as written (they were due, under the name the
candidate knows); the deactivated recruiter's mailbox is still read, so that an answer to
one of their messages still stops the follow-ups.

Each candidate handed over gets an audit entry (their owner changed), and the deactivation
one with what was handed over and to whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from relance.followups.models import Thread
from relance.people import team
from relance.people.models import AuditEntry, Candidate, Interview, Job, Recruiter

BATCH = 1000


@dataclass(frozen=True)
class Handover:
    threads: int
    candidates: int
    jobs: int
    interviews: int


def deactivate(
    member: Recruiter, successor: Recruiter | None, actor: Recruiter | None, now: datetime
) -> Handover:
    """Deactivate `member` (they can no longer sign in) and hand their work over to
    `successor`, an active colleague of the same organisation."""
    if actor is not None and member.pk == actor.pk:
        raise team.TeamRefused(
            _("You cannot deactivate yourself: ask another administrator to do it.")
        )
    if successor is None:
        raise team.TeamRefused(
            _(
                "Choose who takes over %(name)s's follow-ups, candidates and jobs: nothing "
                "is left without someone to do it."
            )
            % {"name": member}
        )
    if (
        successor.pk == member.pk
        or successor.organisation_id != member.organisation_id
        or not successor.is_active
    ):
        raise team.TeamRefused(
            _("%(name)s cannot take over: choose an active colleague other than %(member)s.")
            % {"name": successor, "member": member}
        )
    org_id = member.organisation_id
    with transaction.atomic():
        locked = list(
            Recruiter.objects.select_for_update()
            .filter(pk__in=[member.pk, successor.pk])
            .order_by("pk")
        )
        current = {r.pk: r for r in locked}
        if not current[member.pk].is_active:
            raise team.TeamRefused(_("%(name)s is already deactivated.") % {"name": member})
        if not current[successor.pk].is_active:
            raise team.TeamRefused(
                _("%(name)s cannot take over: choose an active colleague other than %(member)s.")
                % {"name": successor, "member": member}
            )
        threads = Thread.objects.filter(
            organisation_id=org_id, recruiter=member, status=Thread.Status.OPEN
        ).update(recruiter=successor)
        owned = list(
            Candidate.objects.filter(organisation_id=org_id, owner=member)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        for start in range(0, len(owned), BATCH):
            Candidate.objects.filter(pk__in=owned[start : start + BATCH]).update(owner=successor)
        jobs = Job.objects.filter(organisation_id=org_id, owner=member).update(owner=successor)
        interviews = Interview.objects.filter(
            organisation_id=org_id, interviewer=member, status=Interview.Status.SCHEDULED
        ).update(interviewer=successor)
        Recruiter.objects.filter(pk=member.pk).update(is_active=False)
        detail = {"owner_before": member.pk, "owner_after": successor.pk, "because": "deactivated"}
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    organisation_id=org_id,
                    at=now,
                    actor=actor,
                    candidate_id=pk,
                    action=AuditEntry.Action.CHANGED,
                    detail=detail,
                )
                for pk in owned
            ],
            batch_size=BATCH,
        )
        handover = Handover(threads, len(owned), jobs, interviews)
        team.record(org_id, actor, AuditEntry.Action.DEACTIVATED, member, now,
                    successor=successor.pk, threads=threads, candidates=len(owned), jobs=jobs,
                    interviews=interviews)  # fmt: skip
    member.is_active = False
    return handover
