"""What the outbox asks, when a message outside any thread is about to leave: may it go?

Campaign messages and job-alert digests are judged by pools.campaigns (consent, rhythm,
refusals, the pressure cap, the sending window, near-duplicates; a digest also by whether
its jobs are still open: pools/alerts.py); renewal e-mails by whether the person is still
in the talent pool and has refused nothing since. Acknowledgements always go (the
candidate just asked for them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from relance.engine import Touch
from relance.messaging.models import OutboxMessage
from relance.people import retention
from relance.pools import alerts, campaigns

Verdict = tuple[str, datetime | None, str]  # ("go" | "wait" | "cancel", until, why)


def verdicts(
    rows: list[OutboxMessage], now: datetime, in_flight: Mapping[int, list[Touch]]
) -> dict[int, Verdict]:
    # A job-alert digest (pools/alerts.py) is judged as a campaign message is, and is
    # cancelled when one of the jobs it names has closed since it was written.
    digests = [r for r in rows if r.reason == alerts.REASON]
    out = campaigns.recheck(
        [r for r in rows if r.campaign_id is not None] + digests, now, in_flight
    )
    for pk in alerts.closed_jobs(digests) if digests else ():
        out[pk] = ("cancel", None, "job_closed")
    renewals = {row.candidate_id for row in rows if row.reason == "renewal"}
    if renewals:
        askable = retention.still_to_ask(renewals)
        for row in rows:
            if row.reason == "renewal" and row.candidate_id not in askable:
                out[row.pk] = ("cancel", None, "no longer in the talent pool, or refused")
    return out
