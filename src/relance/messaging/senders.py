"""Sending identities: who an e-mail is from, which server takes it, how many may leave.

A recruiter with a `Sender` sends from its address, through its own SMTP server when it
has one (login encrypted at rest), within its limits per minute, per day and per
recipient domain per minute. A recruiter without one sends through the installation's
relay, within the RELANCE_SEND_* limits (none by default). A policy refusal (5.7.x)
pauses the sender and alerts its recruiter; `relance sender resume` lifts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction

from relance import crypto
from relance.followups import sql
from relance.messaging.models import Alert, OutboxMessage, Sender
from relance.messaging.transport import DjangoTransport, Transport
from relance.people.models import Recruiter

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
PAUSED_RECHECK = timedelta(hours=1)
RELAY_LOCK = 0x52454C41  # an advisory lock id for the relay's limits on PostgreSQL

ALERTS = {
    "sender_paused": {
        "fr": "Envois suspendus depuis {address} : le serveur a refusé un message pour une "
        "raison de politique d'envoi ({status} {text}). Ce n'est pas le fait du candidat. "
        "Vérifiez la réputation et la configuration de la boîte (SPF, DKIM, DMARC), puis "
        "reprenez les envois : relance sender resume {address}",
        "en": "Sending paused from {address}: the server refused a message for a sending "
        "policy reason ({status} {text}). It is not the candidate's doing. Check the "
        "mailbox's reputation and set-up (SPF, DKIM, DMARC), then resume sending: "
        "relance sender resume {address}",
    },
    "relay_refused": {
        "fr": "Le relais d'envoi a refusé un message pour une raison de politique d'envoi "
        "({status} {text}) ; il sera réessayé. Vérifiez la configuration du relais.",
        "en": "The sending relay refused a message for a sending policy reason "
        "({status} {text}); it will be tried again. Check the relay's set-up.",
    },
}


def alert_text(alert: Alert, language: str) -> str:
    texts = ALERTS.get(alert.kind, {"fr": alert.kind, "en": alert.kind})
    return texts["fr" if language == "fr" else "en"].format(**alert.params)


def sender_for(recruiter: Recruiter | None) -> Sender | None:
    if recruiter is None:
        return None
    return Sender.objects.filter(recruiter=recruiter).first()


def from_header(sender: Sender | None, recruiter: Recruiter | None) -> str:
    """The From of a recruiter's e-mail: the sender's identity, else the recruiter's own
    name and address, else the installation's default."""
    if sender is not None:
        return formataddr((sender.name, sender.address)) if sender.name else sender.address
    if recruiter is not None and recruiter.email:
        name = recruiter.get_full_name()
        return formataddr((name, recruiter.email)) if name else recruiter.email
    return str(settings.DEFAULT_FROM_EMAIL)


# --- limits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    per_minute: int = 0  # 0: no limit
    per_day: int = 0
    per_domain_per_minute: int = 0

    @property
    def any(self) -> bool:
        return bool(self.per_minute or self.per_day or self.per_domain_per_minute)


def limits_of(sender: Sender | None) -> Limits:
    if sender is None:
        return Limits(
            settings.RELANCE_SEND_PER_MINUTE,
            settings.RELANCE_SEND_PER_DAY,
            settings.RELANCE_SEND_PER_DOMAIN_PER_MINUTE,
        )
    return Limits(sender.per_minute, sender.per_day, sender.per_domain_per_minute)


class Budget:
    """What one sender may still send now, read once per batch under the sender's lock
    and spent in memory as rows are admitted."""

    def __init__(self, sender: Sender | None, now: datetime) -> None:
        self.sender_id = sender.pk if sender else None
        self.limits = limits_of(sender)
        self.now = now
        self.minute = self.day = 0
        self.domains: dict[str, int] = {}
        if self.limits.any:
            self._read()

    def _where(self, since: datetime) -> tuple[str, list[object]]:
        if self.sender_id is None:
            return "sender_id IS NULL AND slot_at > %s", [sql.param(since)]
        return "sender_id = %s AND slot_at > %s", [self.sender_id, sql.param(since)]

    def _read(self) -> None:
        table = sql.table(OutboxMessage)
        where, params = self._where(self.now - DAY)
        self.day = sql.fetch(f"SELECT count(*) FROM {table} WHERE {where}", params)[0][0]
        where, params = self._where(self.now - MINUTE)
        for domain, count in sql.fetch(
            f"SELECT to_domain, count(*) FROM {table} WHERE {where} GROUP BY to_domain", params
        ):
            self.domains[domain] = count
            self.minute += count

    def admit(self, domain: str) -> tuple[datetime, str] | None:
        """None if a message to `domain` may leave now (and it is counted); else until
        when it waits, and the limit's name."""
        limits = self.limits
        if limits.per_day and self.day >= limits.per_day:
            return self._first_slot_after(self.now - DAY) + DAY, "rate_limit_per_day"
        if limits.per_minute and self.minute >= limits.per_minute:
            return self.now + MINUTE, "rate_limit_per_minute"
        if limits.per_domain_per_minute and (
            self.domains.get(domain, 0) >= limits.per_domain_per_minute
        ):
            return self.now + MINUTE, "rate_limit_per_domain"
        self.day += 1
        self.minute += 1
        self.domains[domain] = self.domains.get(domain, 0) + 1
        return None

    def _first_slot_after(self, since: datetime) -> datetime:
        where, params = self._where(since)
        first = sql.fetch(
            f"SELECT min(slot_at) FROM {sql.table(OutboxMessage)} WHERE {where}", params
        )
        return sql.moment(first[0][0]) if first and first[0][0] is not None else self.now


def lock_senders(sender_ids: set[int | None]) -> None:
    """Serialise the limit checks of these senders between workers (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return  # SQLite: the transaction holds the database's write lock
    ids = sorted(pk for pk in sender_ids if pk is not None)
    if ids:
        sql.fetch(
            f"SELECT id FROM {sql.table(Sender)} WHERE id IN ({sql.marks(ids)})"
            " ORDER BY id FOR UPDATE",
            ids,
        )
    if None in sender_ids and limits_of(None).any:
        sql.fetch("SELECT pg_advisory_xact_lock(%s)", [RELAY_LOCK])


# --- pausing ------------------------------------------------------------------------------


def pause(sender_id: int | None, recruiter_id: int | None, organisation_id: int,
          status: str, text: str, now: datetime) -> None:  # fmt: skip
    """A policy refusal: pause the sender (the relay cannot be paused: its messages are
    tried again later) and alert the recruiter, once while it lasts."""
    with transaction.atomic():
        kind = "relay_refused"
        address = ""
        if sender_id is not None:
            sender = Sender.objects.select_for_update().get(pk=sender_id)
            if sender.paused_at is None:
                sender.paused_at, sender.paused_reason = now, f"{status} {text}"[:1000]
                sender.save(update_fields=["paused_at", "paused_reason"])
            kind, address = "sender_paused", sender.address
        open_alert = Alert.objects.filter(
            organisation_id=organisation_id,
            recruiter_id=recruiter_id,
            kind=kind,
            resolved_at__isnull=True,
        )
        if not open_alert.exists():
            Alert.objects.create(
                organisation_id=organisation_id,
                recruiter_id=recruiter_id,
                kind=kind,
                params={"address": address, "status": status, "text": text[:300]},
                created_at=now,
            )


def resume(sender: Sender, now: datetime) -> int:
    """Lift a pause: its alert is resolved and its waiting e-mails are due again at once.
    Returns how many e-mails were waiting."""
    with transaction.atomic():
        sender.paused_at, sender.paused_reason = None, ""
        sender.save(update_fields=["paused_at", "paused_reason"])
        Alert.objects.filter(
            recruiter_id=sender.recruiter_id, kind="sender_paused", resolved_at__isnull=True
        ).update(resolved_at=now)
        return OutboxMessage.objects.filter(
            sender=sender, status=OutboxMessage.Status.PENDING, last_error="waiting: sender_paused"
        ).update(due_at=now)


# --- transports ---------------------------------------------------------------------------


def connection_for(sender: Sender) -> Any:
    """Django's SMTP backend for the sender's own server, with its decrypted login."""
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=sender.host,
        port=sender.port,
        username=sender.username or None,
        password=crypto.decrypt(sender.password_encrypted) if sender.password_encrypted else None,
        use_tls=sender.security == Sender.Security.STARTTLS,
        use_ssl=sender.security == Sender.Security.SSL,
        timeout=settings.EMAIL_TIMEOUT,
    )


class Transports:
    """One open connection per sending server: the installation's relay (`default`) and
    each sender with a server of its own, opened when first needed and then reused."""

    def __init__(self, default: Transport) -> None:
        self.default = default
        self.own: dict[int, Transport] = {}

    def for_sender(self, sender: Sender | None) -> Transport:
        if sender is None or not sender.host:
            return self.default
        transport = self.own.get(sender.pk)
        if transport is None:
            transport = self.own[sender.pk] = DjangoTransport(connection_for(sender))
        return transport

    def abandon(self) -> None:
        """No message prepared ahead will follow (the batch ended or stopped)."""
        for transport in [self.default, *self.own.values()]:
            transport.abandon()

    def close(self) -> None:
        self.default.close()
        for transport in self.own.values():
            transport.close()
        self.own.clear()
