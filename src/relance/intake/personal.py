"""A person's CVs and pending sign-ups as part of their data (people/rights.py): exported
with the rest (each CV's file inside the zip), removed by erasure and by anonymisation —
their files deleted from storage once the transaction commits."""

from __future__ import annotations

from typing import Any

from relance.intake import documents
from relance.intake.models import CV, SignUp
from relance.people import rights
from relance.people.models import Candidate


def export(candidate: Candidate) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    rows: list[dict[str, Any]] = []
    files: dict[str, bytes] = {}
    for cv in CV.objects.filter(candidate=candidate).order_by("uploaded_at", "pk"):
        path = f"cvs/{cv.pk}-{cv.original_name}"
        content = documents.read_file(cv)
        if content is not None:
            files[path] = content
        rows.append(
            {
                "file": path if content is not None else None,
                "original_name": cv.original_name,
                "kind": cv.kind,
                "size": cv.size,
                "pages": cv.pages,
                "uploaded_at": cv.uploaded_at.isoformat(),
                "uploaded_by": cv.uploaded_by_id,
                "problem": cv.problem,
                "truncated": cv.truncated,
                "text": cv.text,
            }
        )
    return rows, files


def erase(candidate: Candidate) -> int:
    return _remove(candidate)


def anonymise(candidate: Candidate) -> None:
    _remove(candidate)


def _remove(candidate: Candidate) -> int:
    SignUp.objects.filter(candidate=candidate).delete()
    rows = CV.objects.filter(candidate=candidate)
    names = [name for name in rows.values_list("file", flat=True) if name]
    removed = int(rows.delete()[0])
    documents.remove_files_after_commit(names)
    return removed


def register() -> None:
    rights.register(rights.PersonalData("cvs", export, erase, anonymise))
