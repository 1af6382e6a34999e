"""What matching keeps in the database: a job's requirements (worked out from its text,
then marked by the recruiter) and each CV's profile (its skills with the line that shows
each, its job titles, its years of experience), computed when the CV is stored."""

from __future__ import annotations

from django.db import models

from relance.intake.models import CV
from relance.people.models import Job


class Requirement(models.Model):
    """A skill (or job title) a job asks for: a concept of the vocabulary, must-have or
    nice-to-have. `origin` says who decided: found in the job's text, or the recruiter
    (added it or changed its weight) — a refresh from the text never undoes the latter."""

    class Weight(models.TextChoices):
        MUST = "must"
        NICE = "nice"

    class Origin(models.TextChoices):
        TEXT = "text"
        RECRUITER = "recruiter"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="requirements")
    concept = models.CharField(max_length=64)
    weight = models.CharField(max_length=4, choices=Weight.choices, default=Weight.NICE)
    origin = models.CharField(max_length=9, choices=Origin.choices, default=Origin.TEXT)
    # False: the recruiter took it off (kept, so that a refresh from the text does not
    # bring it back).
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "concept"], name="requirement_job_concept")
        ]

    def __str__(self) -> str:
        return f"{self.concept} ({self.weight})"


class Profile(models.Model):
    """What a CV shows, for the score: `skills` {concept: {"line": the CV line that shows
    it, "listed": True when only a list of terms names it}}, `titles` [concept], `years`
    of experience when the CV says so. Protected information never gets here: the text is
    read after matching/text.without_personal and without the person's names."""

    cv = models.OneToOneField(CV, on_delete=models.CASCADE, related_name="profile")
    skills = models.JSONField(default=dict)
    titles = models.JSONField(default=list)
    years = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"profile of CV {self.cv_id}"


class AlertSettings(models.Model):
    """An organisation's job-alert settings (pools/alerts.py): the minimum match score a job
    needs to be sent to a person (0–100). No row: the default, 70."""

    organisation = models.OneToOneField(
        "people.Organisation", on_delete=models.CASCADE, related_name="alert_settings"
    )
    threshold = models.PositiveSmallIntegerField(default=70)

    def __str__(self) -> str:
        return f"job alerts of organisation {self.organisation_id}: {self.threshold}"
