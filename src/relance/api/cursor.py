"""Keyset pagination with an opaque cursor: a page is `WHERE id < last ORDER BY id DESC
LIMIT n+1`, read from an index whatever the page's depth (no OFFSET, no COUNT). The
cursor is the last id, base64url-encoded with a version, so clients treat it as opaque."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.db.models import QuerySet

MAX_ID = 2**63 - 1


class CursorInvalid(ValueError):
    pass


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise CursorInvalid(cursor) from None
    version, _sep, number = raw.partition(":")
    if version != "v1" or not number.isdigit() or not 0 < int(number) <= MAX_ID:
        raise CursorInvalid(cursor)
    return int(number)


def page(rows: QuerySet[Any], cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """The rows after `cursor`, newest id first, and the cursor of the next page (None at
    the end)."""
    if cursor:
        rows = rows.filter(pk__lt=decode(cursor))
    found = list(rows.order_by("-pk")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return found, (encode(found[-1].pk) if more and found else None)
