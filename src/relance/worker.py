"""`relance worker`: the loop that makes decisions happen.

Each cycle: recover what a dead worker left (claimed rows go back, rows caught while
sending become uncertain), write the sends that came due to the outbox (and the next
batches of the campaigns under way), claim and
deliver due outbox rows through one reused connection, deliver due webhooks, then read the
IMAP mailboxes.
Several workers can share one PostgreSQL database: each outbox row goes to one of them.
Between cycles the worker waits `--interval` seconds, or less when a mailbox watched with
IMAP IDLE announces a new message.
A SIGTERM lets the message in hand finish, then the loop ends.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.mail import get_connection
from django.db.models import Count

from relance import dbstats
from relance.api import retention as api_retention
from relance.followups import agenda, services
from relance.followups.models import Thread
from relance.hooks import delivery
from relance.messaging import mailboxes, outbox
from relance.messaging.idle import Watchers
from relance.messaging.models import OutboxMessage
from relance.messaging.senders import Transports
from relance.people.models import Organisation
from relance.pools import alerts, campaigns

log = logging.getLogger(__name__)

# How often the worker checks the query planner's statistics (SQLite: relance/dbstats.py).
STATISTICS_EVERY = timedelta(hours=1)
# How often the worker looks for job-alert digests due (pools/alerts.py): rhythms are
# weekly or monthly, so a quarter of an hour late is nothing, and ranking every new job
# every few seconds would be.
ALERTS_EVERY = timedelta(minutes=15)


@dataclass
class Cycle:
    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: int = 0
    cancelled: int = 0
    recovered: int = 0
    received: int = 0  # inbound messages read from the mailboxes
    analysed: int = 0  # tables whose planner statistics were refreshed (SQLite)
    pruned: int = 0  # the API's rows past their retention (api/retention.py), deleted
    webhooks: int = 0  # webhook deliveries the receivers accepted


class Worker:
    def __init__(
        self,
        name: str | None = None,
        transport: outbox.Transport | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
        batch: int = 50,
    ) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.transport = Transports(transport or outbox.DjangoTransport(get_connection()))
        self.clock = clock
        self.batch = batch
        self.stopping = threading.Event()
        self.wake = threading.Event()  # set by the IMAP IDLE watchers
        self.statistics_at: datetime | None = None  # when they were last checked
        self.alerts_at: datetime | None = None  # when job alerts were last looked for

    def cycle(self) -> Cycle:
        now = self.clock()  # one clock reading for the whole cycle
        report = Cycle()
        recovered = outbox.recover(now)
        report.recovered = recovered["pending_again"]
        report.uncertain += recovered["uncertain"]
        settled = mailboxes.resolve_uncertain(now)
        report.recovered += settled["resend"]
        outbox.record_unrecorded(now)  # what a dead worker sent but did not record
        report.queued = self._queue_due_sends(now)
        report.queued += campaigns.advance(now)  # the next batches of running campaigns
        if self.alerts_at is None or now - self.alerts_at >= ALERTS_EVERY:
            self.alerts_at = now
            report.queued += alerts.advance(now)  # job-alert digests due (one query if none)
        while not self.stopping.is_set():
            # Each batch is an operation of its own, with its own reading of the clock: a
            # cycle that sends thousands of e-mails must not give out leases, settle delays
            # or sending windows from the minute it began.
            now = self.clock()
            claimed = outbox.claim(now, self.name, self.batch)
            if not claimed:
                break
            outbox.deliver_batch(claimed, self.transport, now, self.stopping.is_set, self.name)
            self._count(claimed, report)
        if not self.stopping.is_set():  # webhooks out, each attempt with its own clock
            report.webhooks = delivery.deliver_due(
                self.clock, self.name, self.stopping.is_set
            ).delivered
        if not self.stopping.is_set():
            for reading in mailboxes.read_all(now):
                report.received += len(reading.received)
        if not self.stopping.is_set() and (
            self.statistics_at is None or now - self.statistics_at >= STATISTICS_EVERY
        ):
            self.statistics_at = now
            report.analysed = len(dbstats.refresh_stale())
            # Housekeeping, hourly too: the API's write log and idempotency records.
            report.pruned = sum(api_retention.prune(now).values())
        return report

    def _queue_due_sends(self, now: datetime) -> int:
        queued = 0
        for organisation in Organisation.objects.all():
            due = [
                row[0]
                for row in agenda.plan(organisation, now)
                if row[4] == "send" and row[7] <= now
            ]
            if not due:
                continue
            # Steps already written (waiting, retrying, or settled) are not written again.
            steps = dict(Thread.objects.filter(pk__in=due).values_list("pk", "action_index"))
            written = set(
                OutboxMessage.objects.filter(thread_id__in=due).values_list(
                    "thread_id", "action_index"
                )
            )
            for thread_id in due:
                if (thread_id, steps.get(thread_id)) in written:
                    continue
                try:
                    row, _ = services.queue_send(thread_id, now)
                except services.NotDue:
                    continue
                queued += row is not None
        return queued

    def _count(self, ids: list[int], report: Cycle) -> None:
        statuses = (
            OutboxMessage.objects.filter(pk__in=ids)
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for status, n in statuses:
            match status:
                case OutboxMessage.Status.SENT:
                    report.sent += n
                case OutboxMessage.Status.PENDING:
                    report.retried += n
                case OutboxMessage.Status.FAILED:
                    report.failed += n
                case OutboxMessage.Status.UNCERTAIN:
                    report.uncertain += n
                case OutboxMessage.Status.CANCELLED:
                    report.cancelled += n

    def run(self, interval: float, on_cycle: Callable[[Cycle], None]) -> None:
        """Cycles every `interval` seconds — sooner when a mailbox watched with IMAP IDLE
        announces a new message, or a page of this process queued an e-mail — until
        `stop()`."""
        watchers = Watchers(self.wake, self.stopping)
        _running.add(self)
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                report = self.cycle()
                watchers.refresh()
            except Exception:  # one bad cycle must not end the worker
                log.exception("worker cycle failed")
                report = Cycle()
            on_cycle(report)
            self.wake.wait(interval)
        _running.discard(self)
        self.transport.close()
        watchers.join()

    def stop(self) -> None:
        """Finish the message in hand, then end `run` (a signal handler may call it)."""
        self.stopping.set()
        self.wake.set()


# The workers running in this process (the demo serves the web app beside one): an e-mail
# a recruiter sends from a page wakes them at once. A worker in another process picks it
# up at its next cycle.
_running: set[Worker] = set()


def wake_local() -> None:
    for worker in list(_running):
        worker.wake.set()
