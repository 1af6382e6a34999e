"""Reading IMAP mailboxes: every new message goes through `receive`, once.

New messages are the UIDs above the mailbox's `last_uid` (for the folder's UIDVALIDITY;
when the server renumbers the folder, it is read again from the start, and messages
already received are recognised by their fingerprint, messaging/inbound.py). A mailbox
that cannot be reached is noted on the mailbox and skipped: the worker goes on with the
others.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from datetime import datetime

from relance import crypto
from relance.messaging.models import Mailbox
from relance.messaging.receive import Received, receive

log = logging.getLogger(__name__)

TIMEOUT = 30
BATCH = 200  # messages fetched per cycle and mailbox: a backlog is read over a few cycles


@dataclass
class Reading:
    mailbox: int
    received: list[Received] = field(default_factory=list)
    error: str = ""


def read_all(now: datetime) -> list[Reading]:
    return [read(mailbox, now) for mailbox in Mailbox.objects.filter(enabled=True)]


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.security == Mailbox.Security.SSL:
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT
        )
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT)
        if mailbox.security == Mailbox.Security.STARTTLS:
            client.starttls(ssl.create_default_context())
    client.login(mailbox.username, crypto.decrypt(mailbox.password_encrypted))
    return client


def read(mailbox: Mailbox, now: datetime) -> Reading:
    """Receive the new messages of one mailbox."""
    reading = Reading(mailbox.pk)
    try:
        client = connect(mailbox)
    except (OSError, imaplib.IMAP4.error, crypto.SecretError) as error:
        return _failed(mailbox, reading, now, f"cannot log in: {error}")
    try:
        status, data = client.select(_quoted(mailbox.folder), readonly=True)
        if status != "OK":
            return _failed(mailbox, reading, now, f"cannot open {mailbox.folder}: {data!r}")
        validity = _uidvalidity(client, mailbox.folder)
        if validity != mailbox.uidvalidity:
            mailbox.uidvalidity, mailbox.last_uid = validity, 0
        status, found = client.uid("search", None, f"UID {mailbox.last_uid + 1}:*")
        uids = sorted(int(u) for u in (found[0] or b"").split() if int(u) > mailbox.last_uid)
        for uid in uids[:BATCH]:
            status, parts = client.uid("fetch", str(uid), "(BODY.PEEK[])")
            raw = _body(parts)
            if raw is not None:
                reading.received.append(receive(mailbox.organisation, raw, now))
            mailbox.last_uid = uid
            mailbox.save(update_fields=["uidvalidity", "last_uid"])
    except (OSError, imaplib.IMAP4.error) as error:
        return _failed(mailbox, reading, now, f"reading stopped: {error}")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    mailbox.last_checked_at, mailbox.last_error = now, ""
    mailbox.save(update_fields=["uidvalidity", "last_uid", "last_checked_at", "last_error"])
    return reading


def _failed(mailbox: Mailbox, reading: Reading, now: datetime, error: str) -> Reading:
    log.warning("mailbox %s: %s", mailbox, error)
    mailbox.last_checked_at, mailbox.last_error = now, error[:1000]
    mailbox.save(update_fields=["last_checked_at", "last_error"])
    reading.error = error
    return reading


def _uidvalidity(client: imaplib.IMAP4, folder: str) -> int | None:
    _, values = client.response("UIDVALIDITY")  # what SELECT said
    for value in values or []:
        if isinstance(value, bytes) and value.isdigit():
            return int(value)
    _, data = client.status(_quoted(folder), "(UIDVALIDITY)")
    found = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"") if data and data[0] else None
    return int(found.group(1)) if found else None


def _body(parts: list[object]) -> bytes | None:
    for part in parts:
        if isinstance(part, tuple) and len(part) >= 2 and isinstance(part[1], bytes):
            return part[1]
    return None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def resolve_uncertain(now: datetime) -> dict[str, int]:
    """Settle `uncertain` outbox rows against their sender's Sent folder, by Message-ID.

    Only for mailboxes whose provider files every accepted message there (`sent_folder`),
    and only once the row has been uncertain for RELANCE_UNCERTAIN_SETTLE_SECONDS: found,
    the message left (it is recorded as sent); not found, it never reached the server (it
    is sent again). Rows of other senders stay uncertain, for a person to decide
    (`relance outbox resolve`).
    """
    from relance.messaging.models import OutboxMessage
    from relance.messaging.outbox import settle

    counts = {"sent": 0, "resend": 0, "undecided": 0}
    # Only once a provider has had time to file what it accepted (the row's due_at, set
    # when it became uncertain): not found yet must not mean "never left".
    rows = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.UNCERTAIN, due_at__lte=now)
    )
    by_sender: dict[tuple[int, int | None], list[OutboxMessage]] = {}
    for row in rows:
        by_sender.setdefault((row.organisation_id, row.recruiter_id), []).append(row)
    for (organisation_id, recruiter_id), waiting in by_sender.items():
        box = (
            Mailbox.objects.filter(
                organisation_id=organisation_id, recruiter_id=recruiter_id, enabled=True
            )
            .exclude(sent_folder="")
            .first()
        )
        if box is None:
            counts["undecided"] += len(waiting)
            continue
        try:
            client = connect(box)
        except (OSError, imaplib.IMAP4.error, crypto.SecretError) as error:
            log.warning("mailbox %s: cannot check the Sent folder: %s", box, error)
            counts["undecided"] += len(waiting)
            continue
        try:
            status, _ = client.select(_quoted(box.sent_folder), readonly=True)
            if status != "OK":
                counts["undecided"] += len(waiting)
                continue
            for row in waiting:
                _, found = client.uid("search", None, "HEADER", "Message-ID", f'"{row.message_id}"')
                left = bool(found and found[0] and found[0].split())
                settle(row.pk, "sent" if left else "resend", now)
                counts["sent" if left else "resend"] += 1
        except (OSError, imaplib.IMAP4.error) as error:
            log.warning("mailbox %s: Sent folder check stopped: %s", box, error)
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()
    return counts
