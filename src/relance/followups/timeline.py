"""Writing to a candidate's timeline: a thread's step done (a message sent, a call made),
the contact it counts as, and the message it carries, rendered from its template."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from relance.engine import (
    CallOutcome,
    Channel,
    Decision,
    Direction,
    TouchKind,
)
from relance.followups.models import Thread, Touchpoint
from relance.messaging import compose
from relance.people.models import Application, Candidate, Recruiter

CONTACT_KINDS = {
    TouchKind.MESSAGE,
    TouchKind.CALL,
    TouchKind.ACKNOWLEDGEMENT,
    TouchKind.APPLICATION,
    TouchKind.INVITATION_ACCEPTED,
    TouchKind.INTERVIEW,
}


def note_contact(candidate: Candidate, touch: Touchpoint) -> None:
    if touch.kind in CONTACT_KINDS:
        note_contacts(candidate, touch.at, touch.recruiter_id)
    elif candidate.owner_id is None and touch.recruiter_id is not None:
        note_contacts(candidate, None, touch.recruiter_id)


def note_contacts(candidate: Candidate, at: datetime | None, recruiter_id: int | None) -> None:
    """A contact at `at` (None: not a contact) by `recruiter_id`: the candidate's last
    contact moves forward, and a candidate with no owner gets this recruiter."""
    changes: dict[str, Any] = {}
    if at is not None and (candidate.last_contact_at is None or at > candidate.last_contact_at):
        candidate.last_contact_at = changes["last_contact_at"] = at
    if candidate.owner_id is None and recruiter_id is not None:
        candidate.owner_id = changes["owner_id"] = recruiter_id
    if changes:
        Candidate.objects.filter(pk=candidate.pk).update(**changes)


def record_step(
    thread: Thread,
    at: datetime,
    channel: Channel,
    *,
    recruiter: Recruiter | None,
    outcome: str = "",
    subject: str = "",
    body: str = "",
    reason: str = "",
    doubles_call: bool = False,
) -> Touchpoint:
    step = thread.next_step
    touch = Touchpoint.objects.create(
        organisation_id=thread.organisation_id,
        candidate_id=thread.candidate_id,
        recruiter=recruiter,
        thread=thread,
        application_id=thread.application_id,
        at=at,
        kind=TouchKind.CALL if channel is Channel.PHONE else TouchKind.MESSAGE,
        direction=Direction.OUT,
        channel=channel,
        outcome=outcome or (CallOutcome.NO_ANSWER if channel is Channel.PHONE else ""),
        step=step,
        doubles_call=doubles_call,
        subject=subject,
        body=body,
        reason=reason,
        # No Message-ID of ours: a step done by hand left from the recruiter's own mailbox
        # (what leaves from Relance is recorded from the outbox, steps.record_sent).
    )
    note_contact(thread.candidate, touch)
    return touch


def render_step(
    candidate: Candidate,
    recruiter: Recruiter | None,
    application: Application | None,
    name: str,
    previous: dict[str, Any] | None,
    trigger: str,
    **extra: Any,
) -> compose.Rendered:
    job = application.job if application is not None else None
    variables = compose.context(
        organisation=candidate.organisation,
        candidate=candidate,
        recruiter=recruiter,
        job=job,
        previous=previous,
        trigger=trigger,
        **extra,
    )
    return compose.compose(candidate.organisation, name, candidate.language, variables)


def render_for(thread: Thread, decision: Decision, now: datetime) -> compose.Rendered:
    """The prepared message of the thread's next action."""
    steps = list(
        Touchpoint.objects.filter(thread=thread)
        .order_by("at", "pk")
        .values("at", "channel", "subject", "body")
    )
    previous = None
    if steps:
        last = steps[-1]
        thread_subject = next((s["subject"] for s in reversed(steps) if s["subject"]), "")
        previous = compose.previous_message(
            at=last["at"],
            channel=last["channel"],
            subject=last["subject"],
            body=last["body"],
            thread_subject=thread_subject,
            candidate=thread.candidate,
        )
    return render_step(
        thread.candidate,
        thread.recruiter,
        thread.application,
        decision.template or "",
        previous,
        thread.trigger,
        step=decision.step,
    )
