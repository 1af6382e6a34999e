"""Webhooks out (Standard Webhooks): what happened in Relance, told to the team's other
tools. A low layer: it depends on the people models only; the services that record a
change call `hooks.emit(...)` in their transaction (see docs/webhooks.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def emit(organisation_id: int, event_type: str, data: dict[str, Any], at: datetime) -> int:
    """hooks.outbox.emit, importable before the apps are loaded (this package is an app)."""
    from relance.hooks.outbox import emit as write

    return write(organisation_id, event_type, data, at)


def emit_many(event_type: str, events: list[tuple[int, dict[str, Any], datetime]]) -> int:
    from relance.hooks.outbox import emit_many as write

    return write(event_type, events)
