"""What matching follows in the database, connected at start-up (apps.ready) so that
intake and people never import matching: a CV stored, replaced or removed (its profile and
the index), a candidate erased or anonymised (the index), a job created or its text edited
(its requirements). The work is done once the transaction commits (a rolled back upload
leaves everything as it was) and a failure there is logged, never a failed upload: the
ranking computes a missing profile or requirement list itself (matching/rank.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save


def _refresh_later(org_id: int, candidate_id: int) -> None:
    from relance.matching import index

    transaction.on_commit(lambda: index.refresh_candidate(org_id, candidate_id), robust=True)


def _profile(cv_id: int) -> None:
    from relance.intake.models import CV
    from relance.matching import profiles

    cv = CV.objects.select_related("candidate").filter(id=cv_id).first()
    if cv is not None:
        profiles.refresh(cv)


def cv_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    cv_id = instance.id
    transaction.on_commit(lambda: _profile(cv_id), robust=True)
    _refresh_later(instance.organisation_id, instance.candidate_id)


def _requirements(job_id: int) -> None:
    from relance.matching import requirements
    from relance.people.models import Job

    job = Job.objects.filter(id=job_id).first()
    if job is not None:
        requirements.refresh(job)


def job_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"title", "description"} & set(update_fields):
        return
    job_id = instance.id
    transaction.on_commit(lambda: _requirements(job_id), robust=True)


def cv_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _refresh_later(instance.organisation_id, instance.candidate_id)


def candidate_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Erased (deleted) or anonymised: out of the index. A name change matters too (the
    # names are taken out of the indexed text).
    update_fields = kwargs.get("update_fields")
    if kwargs.get("created"):
        return
    if update_fields is not None and not {"anonymised_at", "first_name", "last_name"} & set(
        update_fields
    ):
        return
    _refresh_later(instance.organisation_id, instance.id)


def connect() -> None:
    from relance.intake.models import CV
    from relance.people.models import Candidate, Job

    post_save.connect(cv_saved, sender=CV, dispatch_uid="matching.cv_saved")
    post_delete.connect(cv_deleted, sender=CV, dispatch_uid="matching.cv_deleted")
    post_save.connect(candidate_changed, sender=Candidate, dispatch_uid="matching.candidate")
    post_delete.connect(candidate_changed, sender=Candidate, dispatch_uid="matching.erased")
    post_save.connect(job_saved, sender=Job, dispatch_uid="matching.job_saved")
