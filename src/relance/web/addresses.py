"""The start of the addresses a page repeats per row, reversed once per page: each row
then adds its id (a reverse per row and per button cost a third of the Today page)."""

from __future__ import annotations

from django.urls import reverse


def prefix(view: str, tail: str = "") -> str:
    """`/candidates/` for `web:candidate` (`/candidates/{id}/`); `tail` is what follows the
    id in the pattern (`message/` for `/threads/{id}/message/`)."""
    return reverse(view, args=[0]).removesuffix(f"0/{tail}")
