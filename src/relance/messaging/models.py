"""An organisation's own version of a message template (the built-in ones ship with
Relance, in messaging/builtin/)."""

from __future__ import annotations

from django.db import models

from relance.people.models import Organisation, OrgQuerySet, Recruiter


class Template(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(max_length=64)  # e.g. first_message.1.email
    language = models.CharField(max_length=2, choices=[("fr", "fr"), ("en", "en")])
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name", "language"], name="one_template_per_language"
            )
        ]


class InboundMessage(models.Model):
    """Every e-mail received, kept as it came: what it was taken for and why, and what was
    done with it. A message is never processed twice (its Message-ID, or a digest of it,
    is unique per organisation), and one that could not be understood is kept for
    inspection instead of being lost."""

    class Outcome(models.TextChoices):
        RECORDED = "recorded"  # on a candidate's timeline
        UNMATCHED = "unmatched"  # no candidate found
        IGNORED = "ignored"  # nothing to record (a delivery confirmation, a mailing list)
        FAILED = "failed"  # could not be processed: see `error`

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    received_at = models.DateTimeField()
    key = models.CharField(max_length=300)  # the Message-ID, or sha256 of the bytes
    raw = models.BinaryField()
    kind = models.CharField(max_length=16, blank=True)
    why = models.JSONField(default=list, blank=True)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    candidate = models.ForeignKey(
        "people.Candidate", null=True, blank=True, on_delete=models.SET_NULL
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="inbound_once")]
