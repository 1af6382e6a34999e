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
