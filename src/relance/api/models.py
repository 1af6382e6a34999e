"""The API's own rows: an organisation's keys, the writes made with them, the per-minute
request counters of the rate limit and the responses kept for Idempotency-Key replays."""

from __future__ import annotations

from django.db import models

from relance.people.models import Organisation, Recruiter


class ApiKey(models.Model):
    """An organisation's key. The token itself is shown once and never stored: only its
    SHA-256 digest (a 256-bit random token needs no slow hash: nothing to brute-force) and
    a short prefix that names it in lists and logs."""

    class Scope(models.TextChoices):
        READ = "read"
        WRITE = "write"  # read and write

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    # Whoever created the key answers for what it does: the audit log names them.
    created_by = models.ForeignKey(
        Recruiter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Recruiter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class ApiWrite(models.Model):
    """One request that may change something (every method but GET/HEAD/OPTIONS), with
    its key and outcome. Reads are not listed one by one (an integration polling the
    agenda would write a row a second): the key's last_used_at says when it last read."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="writes")
    at = models.DateTimeField()
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()

    class Meta:
        # By key for its log; by time for the worker's pruning (api/retention.py).
        indexes = [models.Index(fields=["key", "at"]), models.Index(fields=["at"])]


class RateWindow(models.Model):
    """How many requests a key made in the minute starting at `start` (fixed windows).
    In the database so that every process and thread of the web app shares the count."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "start"], name="api_rate_one_window")]


class IdempotentResponse(models.Model):
    """The response to a POST sent with an Idempotency-Key, replayed for the same key and
    body; kept 24 hours. The row is written (status 0) before the request runs: it is the
    claim that keeps a second request with the same key from running at the same time."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "token"], name="api_idempotency_once")
        ]
        indexes = [models.Index(fields=["created_at"])]  # pruned after 24 hours
