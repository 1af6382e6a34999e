"""Talent pools, the candidates' preferences, saved segments and campaigns.

Consents themselves are people.Consent (per purpose, with when, how and the exact text
shown); what a candidate chose in the preference centre is a Preference per topic.
"""

from __future__ import annotations

from django.db import models

from relance.people.models import Candidate, Job, Organisation, OrgQuerySet, Recruiter


class Topic(models.TextChoices):
    """What a campaign talks about; the preference centre sets a rhythm for each."""

    JOB_OFFERS = "job_offers"
    EVENTS = "events"
    COMPANY_NEWS = "company_news"
    EMPLOYEE_STORIES = "employee_stories"
    JOB_MARKET = "job_market"


class Frequency(models.TextChoices):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    NEVER = "never"


class Preference(models.Model):
    """How often a candidate wants to hear about one topic (the preference centre)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="preferences")
    topic = models.CharField(max_length=20, choices=Topic.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    updated_at = models.DateTimeField()

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["candidate", "topic"], name="one_preference_per_topic")
        ]


class UsedLink(models.Model):
    """A single-use link that was used: its digest, never the link itself."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    digest = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField()


class Pool(models.Model):
    """A named set of candidates a company keeps close. Members are added by hand, by a
    tag rule, or by joining through the consent form; the silver medalists' pool is not
    stored: it is a query (pools.segments.SILVER_MEDALISTS)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField()

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="pool_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class PoolMember(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="members")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="pools")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pool", "candidate"], name="pool_member_once")
        ]


class Segment(models.Model):
    """A saved, composable filter over an organisation's candidates (see
    pools/segments.py for its definition), evaluated in the database."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(max_length=120)
    definition = models.JSONField(default=dict)
    created_by = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="segment_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class TagRule(models.Model):
    """ "Rejected at `final` or later on a job whose title holds "Java" → tag
    java-finalist": applied when an application reaches its end, and by the daily job."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    tag = models.CharField(max_length=60)
    stage = models.CharField(max_length=16, default="rejected")  # the stage it ended at
    reached = models.CharField(max_length=16, blank=True)  # the furthest stage, at least
    job_title_contains = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()

    objects = OrgQuerySet.as_manager()


class Campaign(models.Model):
    """One message to a segment, sent through the outbox in batches.

    Preparing it writes its messages batch after batch, each batch in one transaction
    with the cursor (`last_candidate_id`) that says where the next one starts: a restart
    carries on after the last batch written. Every message is checked again, when a
    worker claims it, against consent, preferences, the pressure cap and refusals.
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        SCHEDULED = "scheduled"
        SENDING = "sending"  # batches being written to the outbox
        DONE = "done"  # every batch written (the outbox sends them)
        CANCELLED = "cancelled"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.JOB_OFFERS)
    segment = models.ForeignKey(Segment, null=True, on_delete=models.SET_NULL)
    # The segment as it was when the campaign was scheduled: what it sends to.
    definition = models.JSONField(default=dict)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    subject_fr = models.CharField(max_length=300)
    body_fr = models.TextField()
    subject_en = models.CharField(max_length=300)
    body_en = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    last_candidate_id = models.BigIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)  # messages written to the outbox
    excluded = models.JSONField(default=dict, blank=True)  # reason -> count, when written

    objects = OrgQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["scheduled_at"],
                name="campaign_due",
                condition=models.Q(status__in=["scheduled", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return self.name
