"""An organisation's endpoints: add one (its secret shown once), choose its events, rotate
its secret, enable it again, remove it; and send a delivery again. Pages and commands call
these; the rules live here."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from relance import crypto
from relance.errors import InputError
from relance.hooks import addresses, signing
from relance.hooks.models import Delivery, Endpoint
from relance.hooks.outbox import EVENTS
from relance.people.models import Organisation, Recruiter

# After a rotation the previous secret still signs for this long: the receiver's team
# has a day to install the new one without losing an event.
ROTATION_OVERLAP = timedelta(hours=24)


class UnknownEvents(InputError):
    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(
            f"unknown events: {', '.join(names)}; expected some of {', '.join(EVENTS)}"
        )


def _events(events: list[str]) -> list[str]:
    unknown = [name for name in events if name not in EVENTS]
    if unknown:
        raise UnknownEvents(unknown)
    return [name for name in EVENTS if name in events]


def add(organisation: Organisation, url: str, events: list[str], by: Recruiter | None,
        now: datetime) -> tuple[Endpoint, str]:  # fmt: skip
    """A new endpoint and its secret (returned once: only its encrypted form is kept).
    The URL is refused (AddressRefused) if it leads to a local or private address."""
    url = url.strip()
    addresses.resolve(url)
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(
        organisation=organisation,
        url=url,
        events=_events(events),
        secret=crypto.encrypt(secret),
        created_at=now,
        created_by=by,
    )
    return endpoint, secret


def change(endpoint: Endpoint, url: str, events: list[str]) -> None:
    url = url.strip()
    addresses.resolve(url)
    endpoint.url, endpoint.events = url, _events(events)
    endpoint.save(update_fields=["url", "events"])


def rotate(endpoint: Endpoint, now: datetime) -> str:
    """A new secret (returned once); the current one keeps signing beside it for a day."""
    secret = signing.new_secret()
    endpoint.previous_secret, endpoint.previous_until = endpoint.secret, now + ROTATION_OVERLAP
    endpoint.secret = crypto.encrypt(secret)
    endpoint.save(update_fields=["secret", "previous_secret", "previous_until"])
    return secret


def enable(endpoint: Endpoint) -> None:
    """Deliver to a disabled endpoint again (from the next event on; "send again" brings
    back a failed one). Its URL is checked anew."""
    addresses.resolve(endpoint.url)
    endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
    endpoint.save(update_fields=["disabled_at", "disabled_reason", "failing_since"])


def send_again(delivery: Delivery, now: datetime) -> bool:
    """Queue a delivered or failed delivery again, at once, with the same id and body
    (the receiver may drop it as one it has). False when it cannot go: it is on its way,
    or its endpoint is disabled."""
    with transaction.atomic():
        if Endpoint.objects.filter(pk=delivery.endpoint_id, disabled_at__isnull=False).exists():
            return False
        changed = Delivery.objects.filter(
            pk=delivery.pk, status__in=[Delivery.Status.DELIVERED, Delivery.Status.FAILED]
        ).update(status=Delivery.Status.PENDING, due_at=now, attempts=0,
                 last_error="sent again by hand")  # fmt: skip
    return bool(changed)
