"""CVs, pending talent-pool sign-ups and the public forms' attempts."""

from __future__ import annotations

import uuid

from django.db import models

from relance.people.models import Candidate, Organisation, OrgQuerySet, Recruiter


def cv_path(instance: CV, filename: str) -> str:
    """Where a CV is stored: a random name per file (never the uploaded one, which may hold
    the person's name or a path), under its organisation."""
    suffix = {"pdf": ".pdf", "docx": ".docx", "odt": ".odt", "txt": ".txt"}.get(instance.kind, "")
    return f"cvs/{instance.organisation_id}/{uuid.uuid4().hex}{suffix}"


class CV(models.Model):
    """A CV document: the file (in Django's storage), what it was called, its type as read
    from its content, and its text, extracted when it was uploaded. A CV whose text cannot
    be read is kept all the same, with why (`problem`)."""

    class Kind(models.TextChoices):
        PDF = "pdf"
        DOCX = "docx"
        ODT = "odt"
        TXT = "txt"

    class Problem(models.TextChoices):
        NO_TEXT = "no_text"  # no text in it: a scanned image, most likely
        ENCRYPTED = "encrypted"  # protected by a password
        CORRUPTED = "corrupted"  # the structure is broken
        TOO_LARGE = "too_large"  # expands beyond the limits (a zip bomb)

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="cvs")
    file = models.FileField(upload_to=cv_path, max_length=300)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    text = models.TextField(blank=True)
    # The text folded (people/search.py) for the candidate list's "CV contains" filter.
    search_text = models.TextField(blank=True, editable=False)
    pages = models.PositiveIntegerField(null=True, blank=True)
    # Only the first pages or characters were read (intake/cvs.py: the caps).
    truncated = models.BooleanField(default=False)
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    uploaded_at = models.DateTimeField()
    # None: the candidate sent it, through the public apply form.
    uploaded_by = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)

    objects = OrgQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["candidate", "uploaded_at"])]

    def __str__(self) -> str:
        return self.original_name


class SignUp(models.Model):
    """An open talent-pool sign-up waiting for its confirmation (double opt-in): what the
    person chose on the form, in which language and wording version. Nothing is a consent
    until the signed link of the confirmation e-mail is used (`confirmed_at`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="+")
    purposes = models.JSONField(default=list)
    frequencies = models.JSONField(default=dict)
    language = models.CharField(max_length=2)
    version = models.CharField(max_length=32)
    # The candidate was created by this sign-up: unconfirmed, it is forgotten when the
    # link expires (intake/signup.py).
    created_candidate = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["organisation", "created_at"],
                name="signup_unconfirmed",
                condition=models.Q(confirmed_at__isnull=True),
            )
        ]


class FormAttempt(models.Model):
    """A submission of a public form, kept for an hour to limit how often one address or
    one client may submit. Only keyed digests (people/rights.erasure_keys' kind of HMAC):
    no address or IP is stored."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"]),
            models.Index(fields=["organisation", "at"], name="formattempt_expiry"),
        ]

    def __str__(self) -> str:
        return self.key
