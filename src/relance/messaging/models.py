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
    done with it. A message is never processed twice (its fingerprint, a digest of its
    bytes without the trace fields each delivery adds, is unique per organisation: two
    different messages that share a Message-ID are both kept), and one that could not be
    understood is kept for inspection instead of being lost."""

    class Outcome(models.TextChoices):
        RECORDED = "recorded"  # on a candidate's timeline
        UNMATCHED = "unmatched"  # no candidate found
        IGNORED = "ignored"  # nothing to record (a delivery confirmation, a mailing list)
        FAILED = "failed"  # could not be processed: see `error`

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    received_at = models.DateTimeField()
    key = models.CharField(max_length=300)  # inbound.fingerprint(raw): "sha256:…"
    message_id = models.CharField(max_length=300, blank=True)  # as the message gives it
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


class Security(models.TextChoices):
    """How a connection to a mail server is secured."""

    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


class Sender(models.Model):
    """A recruiter's sending identity: the address candidates see, and optionally the
    recruiter's own SMTP server and login (the password encrypted at rest,
    relance/crypto.py). Without a server of its own, its messages leave through the
    installation's relay (RELANCE_SMTP_* or RELANCE_EMAIL_BACKEND), still from its address.

    Its limits keep the recruiter under the provider's quotas and out of spam folders
    (0: no limit). A policy refusal (5.7.x: the sender's reputation, not the candidate)
    pauses it until a person resumes it; its recruiter is alerted.
    """

    Security = Security

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    recruiter = models.OneToOneField(
        Recruiter, null=True, blank=True, on_delete=models.CASCADE, related_name="sender"
    )
    name = models.CharField(max_length=200, blank=True)  # the display name, e.g. Claire Dubois
    address = models.EmailField(max_length=320)
    host = models.CharField(max_length=255, blank=True)  # empty: the installation's relay
    port = models.PositiveIntegerField(default=587)
    username = models.CharField(max_length=320, blank=True)
    password_encrypted = models.TextField(blank=True)
    security = models.CharField(max_length=8, choices=Security.choices, default=Security.STARTTLS)
    per_minute = models.PositiveIntegerField(default=20)
    per_day = models.PositiveIntegerField(default=100)  # a new mailbox: raise it with its age
    per_domain_per_minute = models.PositiveIntegerField(default=10)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.TextField(blank=True)

    objects = OrgQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


class Alert(models.Model):
    """Something a recruiter must see and act on (a paused sending mailbox), until it is
    resolved. Its text is written in the reader's language from `kind` and `params`."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    recruiter = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField(max_length=32)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()


class OutboxMessage(models.Model):
    """An e-mail Relance decided to send, written before it is sent and updated after.

    One row per thread step (never twice); its Message-ID is fixed when it is written.
    A worker claims a due row with a lease, checks the hard rules again, marks it
    `sending` just before handing it to the server, and `sent` when the server accepted
    it. A row found `sending` after its lease expired may or may not have left: it
    becomes `uncertain` and is never sent again blindly.
    """

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its time (or for a retry)
        CLAIMED = "claimed"  # a worker holds it; not handed to the server yet
        SENDING = "sending"  # being handed to the server
        SENT = "sent"
        FAILED = "failed"  # refused for good (see last_error)
        UNCERTAIN = "uncertain"  # may or may not have left: never resent blindly
        CANCELLED = "cancelled"  # a rule holds it back for good (an answer, a refusal)

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    candidate = models.ForeignKey("people.Candidate", on_delete=models.CASCADE)
    thread = models.ForeignKey(
        "followups.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recruiter = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    action_index = models.PositiveSmallIntegerField(null=True, blank=True)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True)
    doubles_call = models.BooleanField(default=False)
    # A campaign's message: which campaign, and its topic (a preference's rhythm counts
    # the messages of one topic a candidate received).
    campaign = models.ForeignKey(
        "pools.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.CharField(max_length=20, blank=True)
    # Written by a recruiter (a personal e-mail task, edited before it leaves).
    by_hand = models.BooleanField(default=False)
    message_id = models.CharField(max_length=300, unique=True)
    from_address = models.CharField(max_length=320)
    to_address = models.CharField(max_length=320)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # A sent row is on the candidate's timeline (its touchpoint written, the candidate's
    # threads decided again). A worker records its sends in groups; a row sent by a worker
    # that died before recording it is recorded by the next cycle of any worker.
    recorded = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    # The sending identity (None: the installation's relay and default address), the
    # recipient's domain, and when the row took a slot of the sender's rate limits.
    sender = models.ForeignKey(Sender, null=True, blank=True, on_delete=models.SET_NULL)
    to_domain = models.CharField(max_length=255, blank=True)
    slot_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["candidate"],
                name="outbox_in_flight",
                condition=models.Q(status__in=["claimed", "sending", "uncertain"])
                | models.Q(status="sent", recorded=False),
            ),
            models.Index(
                fields=["due_at"], name="outbox_due", condition=models.Q(status="pending")
            ),
            models.Index(
                fields=["sender", "slot_at"],
                name="outbox_slots",
                condition=models.Q(slot_at__isnull=False),
            ),
            models.Index(
                fields=["candidate", "topic", "created_at"],
                name="outbox_topic",
                condition=~models.Q(topic=""),
            ),
            models.Index(
                fields=["lease_until"],
                name="outbox_leases",
                condition=models.Q(status__in=["claimed", "sending"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "action_index"],
                name="outbox_one_per_step",
                condition=models.Q(thread__isnull=False),
            )
        ]


class Mailbox(models.Model):
    """An IMAP mailbox the worker reads: where the candidates' answers arrive.

    The password is stored encrypted (relance/crypto.py). New messages are found by UID
    above `last_uid` for the folder's UIDVALIDITY; a message is never processed twice anyway
    (InboundMessage is unique by the message's fingerprint).
    """

    Security = Security

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    recruiter = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    username = models.CharField(max_length=320)
    password_encrypted = models.TextField()
    security = models.CharField(max_length=8, choices=Security.choices, default=Security.SSL)
    folder = models.CharField(max_length=200, default="INBOX")
    # Where the provider files a copy of every message it accepts from this sender (Gmail
    # and most hosted mailboxes do); empty when it does not. Used to settle `uncertain`
    # outbox rows: found there, it left; not found, it never reached the server.
    sent_folder = models.CharField(max_length=200, blank=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)

    objects = OrgQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.username}@{self.host}/{self.folder}"
