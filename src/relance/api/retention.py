"""How long the API's own rows are kept, and their pruning (the worker's housekeeping,
once an hour with the planner statistics: relance/worker.py).

- The responses kept for Idempotency-Key replays: 24 hours (guard.KEEP_IDEMPOTENT, as
  Stripe does); an expired key may be used again for a new request.
- The write log (ApiWrite: which key changed what, when, with which answer): 90 days, long
  enough to answer "what did our ATS send last quarter?"; what a write changed about a
  person is in the audit log, which keeps its own entries.
- The rate limit's counters: the current minute only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from relance.api.guard import KEEP_IDEMPOTENT, WINDOW
from relance.api.models import ApiWrite, IdempotentResponse, RateWindow

KEEP_WRITES = timedelta(days=90)


def prune(now: datetime) -> dict[str, int]:
    """Delete what is older than its retention; how many rows of each kind went."""
    return {
        "idempotency": IdempotentResponse.objects.filter(
            created_at__lte=now - KEEP_IDEMPOTENT
        ).delete()[0],
        "writes": ApiWrite.objects.filter(at__lte=now - KEEP_WRITES).delete()[0],
        "rate_windows": RateWindow.objects.filter(start__lte=now - WINDOW).delete()[0],
    }
