"""What a recorded event tells the organisation's webhooks (relance/hooks): one small
mapping from the follow-up services' events to the webhook events, called by
services.record_event inside its transaction. Payloads carry ids and codes only: a
receiver looks the person up through the API if it needs more (docs/webhooks.md)."""

from __future__ import annotations

from typing import Any

from relance import hooks
from relance.followups.events import Event, EventType
from relance.followups.recompute import Effect
from relance.people.models import Application


def before(event: Event) -> str | None:
    """What the event is about to change and a webhook names: an application's stage."""
    if event.type is EventType.STAGE_CHANGED and event.job is not None:
        found = Application.objects.filter(candidate=event.candidate, job=event.job)
        return found.values_list("stage", flat=True).first() or ""
    return None


def tell(event: Event, effects: list[Effect], previous: str | None) -> None:
    candidate = event.candidate
    org = candidate.organisation_id
    ids: dict[str, Any] = {"candidate_id": candidate.pk}
    channel = str(event.channel) if event.channel else None
    match event.type:
        case EventType.REPLY_RECEIVED:
            hooks.emit(org, "candidate.replied", {**ids, "channel": channel or "email"}, event.at)
        case EventType.MESSAGE_SENT if not event.send:
            # Recorded as sent from elsewhere (the recruiter's mailbox, LinkedIn, the API);
            # a message Relance sends itself is told when the server accepts it (steps).
            hooks.emit(org, "message.sent", {**ids, "channel": channel or "email",
                                             "by": "recruiter"}, event.at)  # fmt: skip
        case EventType.BOUNCE:
            hooks.emit(org, "message.bounced", {**ids, "kind": str(event.outcome or "hard")},
                       event.at)  # fmt: skip
        case EventType.UNSUBSCRIBED:
            hooks.emit(org, "candidate.unsubscribed", {**ids, "channel": channel}, event.at)
        case EventType.CONSENT_GIVEN:
            given = {**ids, "purpose": str(event.outcome), "method": event.consent_method}
            hooks.emit(org, "consent.given", given, event.at)
        case EventType.CONSENT_WITHDRAWN:
            hooks.emit(org, "consent.withdrawn", {**ids, "purpose": str(event.outcome)}, event.at)
        case EventType.STAGE_CHANGED if event.job is not None:
            application = Application.objects.filter(candidate=candidate, job=event.job).first()
            hooks.emit(org, "application.stage_changed", {
                **ids, "application_id": application.pk if application else None,
                "job_id": event.job.pk, "stage": str(event.outcome),
                "previous_stage": previous or None,
            }, event.at)  # fmt: skip
    for effect in effects:
        if effect.kind == "stop" and effect.thread_id is not None:
            hooks.emit(org, "thread.stopped", {**ids, "thread_id": effect.thread_id,
                                               "situation": effect.situation,
                                               "reason": effect.reason}, effect.at)  # fmt: skip


def merged(candidate_id: int, organisation_id: int, withdrawn: list[str], at: Any) -> None:
    """A merge withdrew, on the kept record, a consent the other record had withdrawn
    (people/merge.py): the receivers hear it as any withdrawal, under the kept id."""
    for purpose in withdrawn:
        hooks.emit(organisation_id, "consent.withdrawn",
                   {"candidate_id": candidate_id, "purpose": purpose}, at)  # fmt: skip
