"""Writing events: one Delivery row per endpoint that listens, in the caller's transaction
(the change and the news of it are committed together, or neither is). The worker
delivers them (hooks/delivery.py)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from relance.hooks.models import Delivery, Endpoint

# Every event type, in the order the settings page lists them (docs/webhooks.md says what
# each one's `data` holds).
EVENTS = (
    "candidate.replied",
    "thread.stopped",
    "message.sent",
    "message.bounced",
    "candidate.unsubscribed",
    "consent.given",
    "consent.withdrawn",
    "application.stage_changed",
)


def new_event_id() -> str:
    return "msg_" + uuid.uuid4().hex


def emit(organisation_id: int, event_type: str, data: dict[str, Any], at: datetime) -> int:
    """Write `event_type` with its `data` (ids and codes: no more personal data than a
    receiver needs to look the rest up through the API) for every enabled endpoint of the
    organisation that listens to it. Returns how many deliveries were written."""
    return emit_many(event_type, [(organisation_id, data, at)])


def emit_many(event_type: str, events: list[tuple[int, dict[str, Any], datetime]]) -> int:
    """`emit` for several events of one type (a batch of e-mails sent): one query finds
    who listens."""
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event {event_type!r}")
    if not events:
        return 0
    listening: dict[int, list[int]] = {}
    for pk, org, names in Endpoint.objects.filter(
        organisation_id__in={org for org, _, _ in events}, disabled_at__isnull=True
    ).values_list("pk", "organisation_id", "events"):
        if event_type in (names or ()):
            listening.setdefault(org, []).append(pk)
    written = 0
    for organisation_id, data, at in events:
        if organisation_id in listening:
            written += _write(organisation_id, listening[organisation_id], event_type, data, at)
    return written


def _write(organisation_id: int, endpoints: list[int], event_type: str, data: dict[str, Any],
           at: datetime) -> int:  # fmt: skip
    body = json.dumps(
        {
            "type": event_type,
            "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": {"organisation_id": organisation_id, **data},
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    event_id = new_event_id()  # one id for the event, whichever endpoint receives it
    Delivery.objects.bulk_create(
        Delivery(
            organisation_id=organisation_id,
            endpoint_id=pk,
            event_id=event_id,
            event_type=event_type,
            body=body,
            created_at=at,
            due_at=at,
        )
        for pk in endpoints
    )
    return len(endpoints)
