"""Storing a CV: checked and read before any transaction, written to storage, recorded with
its candidate in the caller's transaction — and its file removed if that transaction fails.

    received = documents.receive(upload)          # or Refused, with why
    with documents.stored(received, org.pk) as name, transaction.atomic():
        documents.record(candidate, received, name, by, now)
        ...                                         # the rest of the operation
"""

from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from relance.intake import cvs
from relance.intake.models import CV
from relance.people import search
from relance.people.models import Candidate, Recruiter

log = logging.getLogger(__name__)

SUFFIX = {cvs.PDF: ".pdf", cvs.DOCX: ".docx", cvs.ODT: ".odt", cvs.TXT: ".txt"}
CONTENT_TYPE = {
    cvs.PDF: "application/pdf",
    cvs.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    cvs.ODT: "application/vnd.oasis.opendocument.text",
    cvs.TXT: "text/plain; charset=utf-8",
}


@dataclass
class Received:
    """An uploaded CV, checked and read, not stored yet."""

    data: bytes
    name: str  # the file's name as sent, cleaned (no path, no control characters)
    reading: cvs.Reading


def max_megabytes() -> int:
    return int(settings.RELANCE_CV_MAX_BYTES) // (1024 * 1024)


def receive(upload: UploadedFile | None, too_large: bool = False) -> Received:
    """Check an upload (its size, its type by content) and read its text; Refused
    otherwise. `too_large`: the upload handler dropped it for its size."""
    if too_large or (upload is not None and (upload.size or 0) > settings.RELANCE_CV_MAX_BYTES):
        raise cvs.Refused("too_large", mb=max_megabytes())
    if upload is None:
        raise cvs.Refused("missing")
    data = upload.read(settings.RELANCE_CV_MAX_BYTES + 1)
    if len(data) > settings.RELANCE_CV_MAX_BYTES:
        raise cvs.Refused("too_large", mb=max_megabytes())
    kind = cvs.detect(data)
    return Received(data, clean_name(upload.name or "", kind), cvs.read(data, kind))


def clean_name(name: str, kind: str) -> str:
    """The name to show and to download under: the last part of what the browser sent,
    without control characters, at most 200 characters; its type's suffix when it has
    another (a PDF sent as `cv.png` downloads as `cv.png.pdf`)."""
    base = os.path.basename(name.replace("\\", "/"))
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip() or "cv"
    suffix = SUFFIX[kind]
    if not base.lower().endswith(suffix):
        base += suffix
    return base[-200:]


@contextmanager
def stored(received: Received, organisation_id: int) -> Iterator[str]:
    """Write the file to storage; if the block that follows fails, remove it again: a
    failed operation leaves no file behind (and no row, its transaction rolled back)."""
    path = f"cvs/{organisation_id}/{uuid.uuid4().hex}{SUFFIX[received.reading.kind]}"
    name = default_storage.save(path, ContentFile(received.data))
    try:
        yield name
    except BaseException:
        default_storage.delete(name)
        raise


def record(
    candidate: Candidate, received: Received, name: str, by: Recruiter | None, now: datetime
) -> CV:
    """The CV's row, in the caller's transaction (its file already `stored`)."""
    reading = received.reading
    cv = CV(
        organisation_id=candidate.organisation_id,
        candidate=candidate,
        original_name=received.name,
        kind=reading.kind,
        size=len(received.data),
        sha256=hashlib.sha256(received.data).hexdigest(),
        text=reading.text,
        search_text=search.fold(reading.text),
        pages=reading.pages,
        truncated=reading.truncated,
        problem=reading.problem,
        uploaded_at=now,
        uploaded_by=by,
    )
    cv.file.name = name
    cv.save()
    return cv


def remove_files_after_commit(names: list[str]) -> None:
    """Delete these files from storage once the current transaction commits (a rolled
    back erasure keeps them, with their rows)."""

    def remove() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:  # kept on disk: said, never a failed erasure
                log.exception("CV file %s could not be removed", name)

    if names:
        transaction.on_commit(remove)


def read_file(cv: CV) -> bytes | None:
    try:
        with default_storage.open(cv.file.name, "rb") as f:
            return bytes(f.read())
    except OSError:
        return None


def text_contains(words: str) -> Q:
    """Candidates with a CV whose text holds every word (folded: case and accents do not
    matter) — the candidate list's "CV contains" filter. Each word is a substring search
    in the CV's folded text, run on the candidates of the list's window only."""
    condition = Q()
    for word in words.split()[:4]:
        folded = search.fold(word)
        if folded:
            condition &= Q(
                Exists(CV.objects.filter(candidate=OuterRef("pk"), search_text__contains=folded))
            )
    return condition
