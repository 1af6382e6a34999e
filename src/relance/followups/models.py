"""Touchpoints (what happened) and threads (what comes next, stored).

A thread keeps its next due time, its priority and the reason for both in indexed
columns, recomputed by the engine whenever an event touches the candidate. The agenda is
then a range scan on `attention_at`: its cost follows what is due, not the size of the
table.
"""

from __future__ import annotations

from django.db import models

from relance.engine import Direction, Mode, Situation, TouchKind
from relance.people.models import (
    CHANNEL_CHOICES,
    Application,
    Candidate,
    Organisation,
    OrgQuerySet,
    Recruiter,
)

SITUATION_CHOICES = [(s.value, s.value) for s in Situation]


class Touchpoint(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="touchpoints")
    recruiter = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    # Set when this touchpoint is a step of that thread (a message sent, a call made).
    thread = models.ForeignKey(
        "Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="steps"
    )
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField()
    kind = models.CharField(max_length=24, choices=[(k.value, k.value) for k in TouchKind])
    direction = models.CharField(
        max_length=3, blank=True, choices=[(d.value, d.value) for d in Direction]
    )
    channel = models.CharField(max_length=16, blank=True, choices=CHANNEL_CHOICES)
    # A call's outcome, a bounce's kind, a stage, a consent's purpose, a trigger's kind.
    outcome = models.CharField(max_length=24, blank=True)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    doubles_call = models.BooleanField(default=False)
    until = models.DateTimeField(null=True, blank=True)  # an out-of-office's return date
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    # Why the system did it (a reason code), when it was the system.
    reason = models.CharField(max_length=32, blank=True)
    # An e-mail's Message-ID: ours, fixed when the message is written (a reply to it is
    # matched by In-Reply-To), or the one of a message received.
    message_id = models.CharField(max_length=300, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["candidate", "at"]),
            # What was done today, on the agenda page: a day of one organisation.
            models.Index(fields=["organisation", "at"], name="touchpoint_org_at"),
            # The applications of a period, on the jobs' pages (followups/experience.py):
            # without the kind in the index, 90 days were a million rows read one by one.
            models.Index(fields=["organisation", "kind", "at"], name="touchpoint_org_kind_at"),
            models.Index(fields=["recruiter", "at"], name="touchpoint_recruiter_at"),
            models.Index(
                fields=["organisation", "message_id"],
                name="touchpoint_message_id",
                condition=~models.Q(message_id=""),
            ),
        ]


class Thread(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        STOPPED = "stopped"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="threads")
    recruiter = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    situation = models.CharField(max_length=24, choices=SITUATION_CHOICES)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField()
    # The touchpoint that started the thread: only what happened after it can stop it.
    start_touchpoint = models.ForeignKey(
        Touchpoint, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    anchor_at = models.DateTimeField(null=True, blank=True)
    stage_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    late_stage = models.BooleanField(default=False)
    trigger = models.CharField(max_length=24, blank=True)
    # An automatic send held back for a recruiter to rewrite, and why (near_duplicate: it
    # nearly repeats a message the person received; unsendable: it cannot leave as written).
    held_action = models.PositiveSmallIntegerField(null=True, blank=True)
    held_reason = models.CharField(max_length=32, blank=True)
    # A recruiter put the next action off until then (snooze): the engine waits for it.
    snoozed_until = models.DateTimeField(null=True, blank=True)

    # The stored decision.
    next_kind = models.CharField(
        max_length=8, blank=True, choices=[(m.value, m.value) for m in Mode]
    )
    next_step = models.PositiveSmallIntegerField(null=True, blank=True)
    next_channel = models.CharField(max_length=16, blank=True, choices=CHANNEL_CHOICES)
    next_template = models.CharField(max_length=64, blank=True)
    action_index = models.PositiveSmallIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    nominal_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    # min(due_at, deadline_at): when the thread first needs someone's attention.
    attention_at = models.DateTimeField(null=True, blank=True)
    priority = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True)  # why the action, or why it stopped
    delay_reason = models.CharField(max_length=32, blank=True)  # the rule that held it back
    reason_params = models.JSONField(default=dict, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        # Partial indexes on open threads only (a fraction of all threads). Each one covers
        # its query, so the agenda is read from the index alone, in a few contiguous pages:
        # - a recruiter's agenda: the due threads' ids and priorities, then 50 rows joined;
        # - the organisation's whole plan: every column it returns.
        # `status` is repeated as a column so that SQLite sees the index as covering.
        indexes = [
            models.Index(
                fields=["organisation", "recruiter", "attention_at", "priority", "status"],
                name="thread_agenda_recruiter",
                condition=models.Q(status="open"),
            ),
            models.Index(
                fields=[
                    "organisation",
                    "attention_at",
                    "priority",
                    "id",
                    "candidate",
                    "recruiter",
                    "situation",
                    "next_kind",
                    "next_step",
                    "next_channel",
                    "due_at",
                    "status",
                ],
                name="thread_agenda_org",
                condition=models.Q(status="open"),
            ),
            models.Index(fields=["candidate", "status"], name="thread_candidate"),
            # The API's pages of threads by status, newest first (GET /api/v1/threads).
            models.Index(fields=["organisation", "status", "id"], name="thread_org_status"),
        ]

    def __str__(self) -> str:
        return f"{self.situation} #{self.pk} ({self.status})"
