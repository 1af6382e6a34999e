"""An organisation's team: roles, and recruiters deactivated or reactivated — each change
in the audit log. An organisation always keeps an active administrator: the last one can
neither lose the role nor be deactivated (an administrator never deactivates themselves,
so another active one always remains).

Deactivating a recruiter hands their work over to a colleague (followups/handover.py);
reactivating gives them back their account, not the work handed over.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from relance.errors import InputError
from relance.people.models import AuditEntry, Organisation, Recruiter


class TeamRefused(InputError):
    """A team change the rules refuse; the message says why and what to do."""


def record(
    organisation_id: int,
    actor: Recruiter | None,
    action: str,
    member: Recruiter | None,
    now: datetime,
    **detail: Any,
) -> None:
    """A team change in the audit log: who did it, to whom (None: someone without an
    account yet, an invitation)."""
    AuditEntry.objects.create(
        organisation_id=organisation_id, at=now, actor=actor, action=action, recruiter=member,
        detail=detail,
    )  # fmt: skip


def active_admins(organisation: Organisation | int) -> Any:
    return Recruiter.objects.filter(
        organisation=organisation, role=Recruiter.Role.ADMIN, is_active=True
    )


def change_role(member: Recruiter, role: str, actor: Recruiter | None, now: datetime) -> bool:
    """Give `member` the role `role`; False when they had it already. The last active
    administrator keeps the role: the team would have no one to manage it."""
    if role not in Recruiter.Role.values:
        raise TeamRefused(
            _("%(value)s: expected one of %(choices)s.")
            % {"value": repr(role), "choices": ", ".join(Recruiter.Role.values)}
        )
    with transaction.atomic():
        # The administrators locked: two admins demoting each other at the same moment
        # cannot both succeed.
        admins = list(active_admins(member.organisation_id).select_for_update().order_by("pk"))
        current = Recruiter.objects.select_for_update().get(pk=member.pk)
        if current.role == role:
            return False
        if (
            current.role == Recruiter.Role.ADMIN
            and current.is_active
            and not [a for a in admins if a.pk != current.pk]
        ):
            raise TeamRefused(
                _(
                    "%(name)s is the last administrator: an organisation always keeps one. "
                    "Make someone else administrator first."
                )
                % {"name": current}
            )
        Recruiter.objects.filter(pk=current.pk).update(role=role)
        record(current.organisation_id, actor, AuditEntry.Action.ROLE_CHANGED, current, now,
               role_before=current.role, role_after=role)  # fmt: skip
    member.role = role
    return True


def reactivate(member: Recruiter, actor: Recruiter | None, now: datetime) -> bool:
    """`member` can sign in again; False when they could already. What was handed over
    when they left stays with the colleague who took it."""
    with transaction.atomic():
        changed = Recruiter.objects.filter(pk=member.pk, is_active=False).update(is_active=True)
        if changed:
            record(member.organisation_id, actor, AuditEntry.Action.REACTIVATED, member, now)
    member.is_active = True
    return bool(changed)
