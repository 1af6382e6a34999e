"""Waking the worker as soon as a mail arrives: IMAP IDLE (RFC 2177), where the server
offers it.

One thread per mailbox keeps an IDLE command open and sets the worker's `wake` event when
the server announces a new message; the worker's next cycle then reads the mailbox the
usual way (mailboxes.read). Without IDLE, or while a connection fails, the worker simply
reads every mailbox once a cycle. The threads never touch the database: they are given
the mailbox's details when they start.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import select
import threading
import time

from relance import crypto
from relance.messaging.mailboxes import _quoted, connect
from relance.messaging.models import Mailbox

log = logging.getLogger(__name__)

REFRESH = 25 * 60  # an IDLE is renewed before the 29 minutes servers allow (RFC 2177)
RETRY = 60  # seconds before connecting again after a failure
POLL = 0.5  # how often a watcher checks whether it must stop


class Watcher(threading.Thread):
    def __init__(self, mailbox: Mailbox, wake: threading.Event, stopping: threading.Event):
        super().__init__(name=f"idle:{mailbox}", daemon=True)
        self.mailbox = mailbox
        self.wake = wake
        self.stopping = stopping
        self.supported = True

    def run(self) -> None:
        while not self.stopping.is_set() and self.supported:
            try:
                self._watch()
            except (OSError, imaplib.IMAP4.error, crypto.SecretError) as error:
                log.info("IDLE on %s stopped (%s); retrying in %s s", self.mailbox, error, RETRY)
                self.stopping.wait(RETRY)

    def _watch(self) -> None:
        client = connect(self.mailbox)
        try:
            if "IDLE" not in client.capabilities:
                self.supported = False  # the worker's cycles read this mailbox anyway
                return
            status, data = client.select(_quoted(self.mailbox.folder), readonly=True)
            if status != "OK":
                raise imaplib.IMAP4.error(f"cannot open {self.mailbox.folder}: {data!r}")
            while not self.stopping.is_set():
                if self._idle(client):
                    self.wake.set()
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()

    def _idle(self, client: imaplib.IMAP4) -> bool:
        """One IDLE, until the server announces a change, the refresh time, or a stop.
        True if something arrived."""
        tag = client._new_tag()  # type: ignore[attr-defined]
        client.send(tag + b" IDLE\r\n")
        if not client.readline().startswith(b"+"):
            raise imaplib.IMAP4.error("the server refused IDLE")
        changed = False
        started = time.monotonic()
        while not self.stopping.is_set() and time.monotonic() - started < REFRESH:
            readable, _, _ = select.select([client.sock], [], [], POLL)
            if not readable:
                continue
            line = client.readline()
            if not line:
                raise OSError("the server closed the connection")
            if line.startswith(b"*") and (b"EXISTS" in line or b"RECENT" in line):
                changed = True
                break
        client.send(b"DONE\r\n")
        while not (line := client.readline()).startswith(tag):
            if not line:
                raise OSError("the server closed the connection")
        return changed


class Watchers:
    """The worker's watchers, one per enabled mailbox, started as mailboxes appear."""

    def __init__(self, wake: threading.Event, stopping: threading.Event) -> None:
        self.wake = wake
        self.stopping = stopping
        self.running: dict[int, Watcher] = {}

    def refresh(self) -> None:
        for mailbox in Mailbox.objects.filter(enabled=True):
            current = self.running.get(mailbox.pk)
            if current is None or (not current.is_alive() and current.supported):
                self.running[mailbox.pk] = watcher = Watcher(mailbox, self.wake, self.stopping)
                watcher.start()

    def join(self, timeout: float = 5.0) -> None:
        for watcher in self.running.values():
            watcher.join(timeout)
