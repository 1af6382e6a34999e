"""What matching follows in the database, connected at start-up (apps.ready) so that
intake and people never import matching: a CV stored, replaced or removed, a candidate
erased or anonymised. The index is changed once the transaction commits (a rolled back
upload leaves it as it was)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save


def _refresh_later(org_id: int, candidate_id: int) -> None:
    from relance.matching import index

    transaction.on_commit(lambda: index.refresh_candidate(org_id, candidate_id))


def cv_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    _refresh_later(instance.organisation_id, instance.candidate_id)


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
    from relance.people.models import Candidate

    post_save.connect(cv_saved, sender=CV, dispatch_uid="matching.cv_saved")
    post_delete.connect(cv_deleted, sender=CV, dispatch_uid="matching.cv_deleted")
    post_save.connect(candidate_changed, sender=Candidate, dispatch_uid="matching.candidate")
    post_delete.connect(candidate_changed, sender=Candidate, dispatch_uid="matching.erased")
