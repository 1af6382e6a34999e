"""Uploads within the CV size limit (RELANCE_CV_MAX_BYTES).

Django reads a multipart body before any view runs (the CSRF check reads the form). This
handler lets a file grow only up to the limit: past it, the file is dropped (SkipFile) —
the rest of the body is still read, but nothing of the file is kept in memory or on disk —
and the request remembers which field was too large, so the page can say so."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler

TOO_LARGE = "relance_too_large"  # request attribute: the names of the fields dropped


class LimitedUpload(TemporaryFileUploadHandler):
    """A temporary file on disk (never the whole file in memory), dropped past the limit."""

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        super().new_file(field_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.RELANCE_CV_MAX_BYTES:
            dropped = getattr(self.request, TOO_LARGE, set())
            dropped.add(self.field_name)
            setattr(self.request, TOO_LARGE, dropped)
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)


def too_large(request: Any, field: str) -> bool:
    """Whether the request's file `field` was dropped for its size."""
    return field in getattr(request, TOO_LARGE, set())
