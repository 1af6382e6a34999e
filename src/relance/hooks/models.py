"""The webhooks' own rows: an organisation's endpoints, and one delivery per event and
endpoint (the outbox of webhooks: written in the transaction of the change, delivered by
the worker)."""

from __future__ import annotations

from django.db import models

from relance.people.models import Organisation, Recruiter


class Endpoint(models.Model):
    """A URL that receives the organisation's events, signed with its secret. The secret
    is stored encrypted (relance/crypto.py) — signing needs it in clear, so it cannot be
    hashed — and shown once, when created or rotated. After a rotation the previous
    secret signs too, beside the new one, until `previous_until` (Standard Webhooks:
    several signatures in one header), so that the receiver can switch without a gap."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    url = models.URLField(max_length=500)
    # The event types it receives (hooks.EVENTS); an empty list: none.
    events = models.JSONField(default=list)
    secret = models.TextField()  # encrypted "whsec_…"
    previous_secret = models.TextField(blank=True)  # encrypted, during a rotation
    previous_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        Recruiter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Since when every attempt failed (cleared by a success): three days of it disable it.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # When the organisation's admins were told it was disabled (None: not yet).
    admins_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event for one endpoint. Its `event_id` (the `webhook-id` header) and its body
    are fixed when the event is written: every attempt sends the same bytes under the
    same id, so that a receiver can drop what it already has (delivery is at least
    once: a worker that dies while sending cannot know whether the receiver got it)."""

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its attempt (due_at)
        CLAIMED = "claimed"  # a worker holds it (lease_until)
        SENDING = "sending"  # handed to the network: its outcome is not recorded yet
        DELIVERED = "delivered"  # a 2xx answer
        FAILED = "failed"  # the last retry failed, or its endpoint was disabled

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    body = models.TextField()  # the JSON sent, byte for byte the one signed
    created_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)  # HTTP status
    last_error = models.CharField(max_length=1000, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The worker's scan: due pending rows, in order.
            models.Index(
                fields=["due_at", "id"],
                name="hooks_delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="hooks_one_per_endpoint")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.endpoint_id}"
