"""Delivering webhooks: the worker's step (relance/worker.py).

A due Delivery is claimed with a lease (several workers share the table), marked `sending`
(durable) before the request leaves, and its outcome recorded after. A 2xx answer
delivers it; anything else — another status, a timeout, a refused connection — is retried
on the Standard Webhooks schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
20 h and 24 h after the previous attempt. An endpoint is disabled when it answers 410 Gone,
or after three days of nothing but failures; its admins are then told by e-mail.

At least once: a worker that dies while a request is out leaves its row `sending`; when
its lease runs out the row is sent again, with the same `webhook-id` and body, and the
delivery log says so. A receiver drops an id it already has.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection as db
from django.db import transaction
from django.db.models import F

from relance import crypto
from relance.hooks import addresses, signing
from relance.hooks.models import Delivery, Endpoint
from relance.people.models import Organisation, Recruiter

log = logging.getLogger(__name__)

# The delay before each attempt, the first one at once (Standard Webhooks' schedule).
SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
DISABLE_AFTER = timedelta(days=3)  # of failures only, with no success between
MAX_ANSWER = 4096  # bytes of a receiver's answer read and kept: the rest is not read
RESENT_AFTER_CRASH = (
    "the worker stopped while sending: it may have arrived; sent again with the same "
    "webhook-id (at least once)"
)


@dataclass
class Answer:
    """What a receiver said: an HTTP status, or None when there was no answer (timeout,
    refused connection, refused address) and `text` says why."""

    status: int | None
    text: str = ""


Post = Callable[[str, dict[str, str], str], Answer]


@dataclass
class Report:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    disabled: list[int] = field(default_factory=list)


def timeout() -> float:
    return float(getattr(settings, "RELANCE_WEBHOOK_TIMEOUT_SECONDS", 10))


def lease() -> timedelta:
    """How long a claim holds: the outbox's lease, and never less than three timeouts."""
    return max(
        timedelta(seconds=settings.RELANCE_OUTBOX_LEASE_SECONDS),
        timedelta(seconds=3 * timeout()),
    )


# --- the request ---------------------------------------------------------------------------


class _Pinned(http.client.HTTPConnection):
    """A connection to the address that was checked, whatever the name resolves to now."""

    def __init__(self, target: addresses.Target, limit: float) -> None:
        super().__init__(target.host, target.port, timeout=limit)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, target: addresses.Target, limit: float) -> None:
        super().__init__(target.host, target.port, timeout=limit,
                         context=ssl.create_default_context())  # fmt: skip
        self.address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        # The certificate is checked against the name, not the address.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, headers: dict[str, str], body: str) -> Answer:
    """POST `body` to `url`, at most `timeout()` seconds in all (connecting, sending,
    waiting, reading: a watchdog shuts the socket at the deadline, so a receiver that
    answers one byte a second cannot hold the worker), reading at most MAX_ANSWER bytes."""
    limit = timeout()
    try:
        target = addresses.resolve(url)
    except addresses.AddressRefused as refused:
        return Answer(None, f"refused: {refused.describe('en')}")
    kind = _PinnedTLS if target.scheme == "https" else _Pinned
    connection = kind(target, limit)
    began = time.monotonic()
    watchdog = threading.Timer(limit, _cut, [connection])
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(
            "POST",
            target.path,
            body=body.encode(),
            headers={**headers, "Content-Type": "application/json", "User-Agent": "Relance"},
        )
        response = connection.getresponse()
        text = response.read(MAX_ANSWER).decode("utf-8", "replace")
        return Answer(response.status, text)
    except (OSError, http.client.HTTPException, ValueError) as error:
        if time.monotonic() - began >= limit:  # the watchdog cut it
            return Answer(None, f"no answer within {limit:g} s")
        return Answer(None, f"{type(error).__name__}: {error}"[:300])
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


# --- the worker's step ----------------------------------------------------------------------


def recover(now: datetime) -> int:
    """Rows of a worker that died: claimed ones go back; `sending` ones are sent again
    (the receiver may have them: same id, and the log says so)."""
    expired = Delivery.objects.filter(lease_until__lt=now)
    back = expired.filter(status=Delivery.Status.CLAIMED).update(
        status=Delivery.Status.PENDING, lease_until=None, claimed_by=""
    )
    back += expired.filter(status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING,
        lease_until=None,
        claimed_by="",
        due_at=now,
        last_error=RESENT_AFTER_CRASH,
    )
    return back


def claim(now: datetime, worker: str, limit: int = 50) -> list[int]:
    """Take up to `limit` due rows for this worker, with a lease (as the e-mail outbox)."""
    with transaction.atomic():
        due = Delivery.objects.filter(status=Delivery.Status.PENDING, due_at__lte=now)
        if db.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CLAIMED, lease_until=now + lease(), claimed_by=worker
        )
    return ids


def deliver_due(
    clock: Callable[[], datetime],
    worker: str,
    stopping: Callable[[], bool] = bool,
    send: Post = post,
    limit: int = 50,
) -> Report:
    """Recover, claim and deliver every due row; then tell the admins of endpoints that
    were disabled. The clock is read for each attempt: its timestamp is signed, and a
    receiver refuses one too far from its own time."""
    report = Report(recovered=recover(clock()))
    while not stopping():
        ids = claim(clock(), worker, limit)
        if not ids:
            break
        for n, row_id in enumerate(ids):
            if stopping():  # the rest go back to the queue at once
                Delivery.objects.filter(
                    pk__in=ids[n:], status=Delivery.Status.CLAIMED, claimed_by=worker
                ).update(status=Delivery.Status.PENDING, lease_until=None, claimed_by="")
                break
            attempt(row_id, clock(), worker, send, report)
    tell_admins(clock())
    return report


def live_secrets(endpoint: Endpoint, now: datetime) -> list[str]:
    found = [crypto.decrypt(endpoint.secret)]
    if endpoint.previous_secret and endpoint.previous_until and endpoint.previous_until > now:
        found.append(crypto.decrypt(endpoint.previous_secret))
    return found


def attempt(row_id: int, now: datetime, worker: str, send: Post, report: Report) -> None:
    """One attempt of one claimed row: marked `sending` (committed) before it leaves."""
    marked = Delivery.objects.filter(
        pk=row_id, status=Delivery.Status.CLAIMED, claimed_by=worker
    ).update(
        status=Delivery.Status.SENDING,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        lease_until=now + lease(),
    )
    if not marked:
        return  # taken back meanwhile
    row = Delivery.objects.select_related("endpoint").get(pk=row_id)
    endpoint = row.endpoint
    if endpoint.disabled_at is not None:
        _close(row, Delivery.Status.FAILED, "the endpoint is disabled")
        report.failed += 1
        return
    headers = signing.headers(
        live_secrets(endpoint, now), row.event_id, int(now.timestamp()), row.body
    )
    answer = send(endpoint.url, headers, row.body)
    record(row, endpoint, answer, now, report)


def record(row: Delivery, endpoint: Endpoint, answer: Answer, now: datetime,
           report: Report) -> None:  # fmt: skip
    status = answer.status
    said = f"{status} {answer.text}" if status is not None else answer.text
    with transaction.atomic():
        if status is not None and 200 <= status < 300:
            row.status, row.delivered_at = Delivery.Status.DELIVERED, now
            row.last_status, row.last_error, row.lease_until = status, "", None
            row.save(update_fields=["status", "delivered_at", "last_status", "last_error",
                                    "lease_until"])  # fmt: skip
            Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
                failing_since=None
            )
            report.delivered += 1
            return
        row.last_status = status
        if status == 410:
            _close(row, Delivery.Status.FAILED, said)
            disable(endpoint, now, "gone")
            report.failed += 1
            report.disabled.append(endpoint.pk)
            return
        since = endpoint.failing_since or now
        if endpoint.failing_since is None:
            Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                failing_since=now
            )
        if now - since >= DISABLE_AFTER:
            _close(row, Delivery.Status.FAILED, said)
            disable(endpoint, now, "failing")
            report.failed += 1
            report.disabled.append(endpoint.pk)
            return
        if row.attempts < len(SCHEDULE):
            row.status, row.due_at = Delivery.Status.PENDING, now + SCHEDULE[row.attempts]
            row.last_error, row.lease_until, row.claimed_by = said[:1000], None, ""
            row.save(update_fields=["status", "due_at", "last_status", "last_error",
                                    "lease_until", "claimed_by"])  # fmt: skip
            report.retried += 1
            return
        _close(row, Delivery.Status.FAILED, f"gave up after {row.attempts} attempts: {said}")
        report.failed += 1


def _close(row: Delivery, status: str, why: str) -> None:
    row.status, row.last_error, row.lease_until = status, why[:1000], None
    row.save(update_fields=["status", "last_status", "last_error", "lease_until"])


def disable(endpoint: Endpoint, now: datetime, why: str) -> None:
    """Disable the endpoint for `why` (a code of WHY: "gone", "failing"); its waiting
    deliveries fail with it, and its admins are told by the next `tell_admins`."""
    changed = Endpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(
        disabled_at=now, disabled_reason=why[:300], admins_told_at=None
    )
    if changed:
        endpoint.disabled_at, endpoint.disabled_reason = now, why[:300]
        Delivery.objects.filter(
            endpoint=endpoint, status__in=[Delivery.Status.PENDING, Delivery.Status.CLAIMED]
        ).update(status=Delivery.Status.FAILED, last_error="the endpoint was disabled")


WHY = {
    "fr": {
        "gone": "il a répondu 410 Gone (il demande qu'on arrête)",
        "failing": "toutes les tentatives échouent depuis trois jours",
    },
    "en": {
        "gone": "it answered 410 Gone (it asks us to stop)",
        "failing": "every attempt has failed for three days",
    },
}

TELL = {
    "fr": (
        "Relance : webhook désactivé ({url})",
        "Bonjour,\n\nRelance n'envoie plus d'événements à {url} : {why}.\n\n"
        "Vérifiez le récepteur, puis réactivez-le dans Réglages › Webhooks ({link}).\n",
    ),
    "en": (
        "Relance: webhook disabled ({url})",
        "Hello,\n\nRelance no longer sends events to {url}: {why}.\n\n"
        "Check the receiver, then enable it again in Settings › Webhooks ({link}).\n",
    ),
}


def tell_admins(now: datetime) -> int:
    """E-mail the admins of each organisation whose endpoint was disabled and who were not
    told yet (tried again at each cycle until the mail server takes it)."""
    told = 0
    for endpoint in Endpoint.objects.filter(
        disabled_at__isnull=False, admins_told_at__isnull=True
    ).select_related("organisation"):
        organisation: Organisation = endpoint.organisation
        admins = list(
            Recruiter.objects.filter(
                organisation=organisation, role=Recruiter.Role.ADMIN, is_active=True
            ).values_list("email", flat=True)
        )
        if admins:
            lang = organisation.language if organisation.language in TELL else "en"
            subject, body = TELL[lang]
            params = {
                "url": endpoint.url,
                "why": WHY[lang].get(endpoint.disabled_reason, endpoint.disabled_reason),
                "link": f"{settings.RELANCE_BASE_URL}/settings/webhooks/",
            }
            try:
                send_mail(subject.format(**params), body.format(**params),
                          None, admins)  # fmt: skip
            except Exception as error:  # told at the next cycle (any backend's error)
                log.warning("webhook endpoint %s: admins not told yet: %s", endpoint.pk, error)
                continue
        Endpoint.objects.filter(pk=endpoint.pk).update(admins_told_at=now)
        told += 1
    return told
