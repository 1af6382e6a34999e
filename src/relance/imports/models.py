"""An import run: what was read, how, and where it stands (the page polls it), with the
refused rows and why (the downloadable report). It names no candidate: a run outlives an
erasure without keeping anyone's identity in a foreign key."""

from __future__ import annotations

from django.db import models

from relance.people.models import Organisation, Recruiter


class ImportRun(models.Model):
    class Status(models.TextChoices):
        READY = "ready"  # read and mapped, nothing written
        QUEUED = "queued"  # the page asked for it; a background thread takes it
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    recruiter = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    file_name = models.CharField(max_length=255)
    digest = models.CharField(max_length=64)  # SHA-256 of the file
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.READY)
    dry_run = models.BooleanField(default=False)
    # What the file is and how it is read: kind, encoding, separator, layout, header line.
    reading = models.JSONField(default=dict, blank=True)
    mapping = models.JSONField(default=list, blank=True)  # the field of each column
    options = models.JSONField(default=dict, blank=True)  # source, tags, owner, job, stage…
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    # [[line, column, reason], …] in the language of the recruiter who ran it.
    refusals = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # The page's run: the uploaded file in the default storage (deleted when the import is
    # done or abandoned), the language its reasons are written in, and the last time a
    # batch was committed (a run that has not moved for a while is taken up again).
    stored = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=8, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)
