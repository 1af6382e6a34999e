"""The crash test: workers killed with SIGKILL at random moments — during commits too —
and restarted, with a 2-second lease, through a provider that files what it accepted in
the Sent folder a moment after its 250 (as real ones do) and is sometimes slower than the
lease. At the end every message was received by the SMTP server exactly once, or was
reported uncertain (at most one per kill or slow message) and then settled by its
Message-ID against the IMAP Sent folder — never before a provider could have filed it:
0 lost, 0 duplicated.

On PostgreSQL with 4 workers, on SQLite with 1 (the suite runs it on both: see
test_on_postgresql.py). 5,000 messages in CI, 600 otherwise.
"""

from __future__ import annotations

import asyncio
import imaplib
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests import imapserver
from tests.smtpserver import free_port

ROOT = Path(__file__).resolve().parent.parent
COUNT = 5000 if os.environ.get("CI") else 600
WEDNESDAY = "2026-03-04T10:00:00+01:00"  # the follow-ups are due at 09:00: all in the window

if not imapserver.available():
    if os.environ.get("CI"):
        pytest.fail("dovecot is not installed; .ci/run must install dovecot-imapd", pytrace=False)
    pytest.skip("dovecot not installed", allow_module_level=True)


class ProviderLikeSink:
    """An SMTP server that, like Gmail or Office 365, files every message it accepts in the
    sender's Sent folder — a moment after saying 250, as real providers do (up to
    FILING_DELAY seconds later). Now and then it is slow to answer (SLOW_EVERY: longer than
    a worker's lease), so that a live worker's row is taken for a dead one's."""

    FILING_DELAY = 1.5
    SLOW_EVERY = 400
    SLOW = 2.5  # seconds: more than the lease of 2 s

    def __init__(self, imap_port: int) -> None:
        self.ids: list[str] = []
        self.data = 0  # DATA commands received
        self.slow = 0
        self.imap_port = imap_port
        imap = imaplib.IMAP4("127.0.0.1", imap_port)
        imap.login("claire@test.example", "s3cret")
        imap.create("Sent")
        imap.logout()
        self.filing: queue.Queue[tuple[float, bytes] | None] = queue.Queue()
        self.rng = random.Random(11)
        self.filer = threading.Thread(target=self._file, daemon=True)
        self.filer.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content
        self.data += 1
        if self.data % self.SLOW_EVERY == 0:
            self.slow += 1
            await asyncio.sleep(self.SLOW)  # a worker killed meanwhile drops the line here
        # Accepted: delivered (counted) and filed a moment later, or neither — a provider
        # that never answered 250 because the line dropped first delivers nothing here
        # (the handler of a dropped connection is cancelled during the wait).
        for line in content.split(b"\n"):
            if line.lower().startswith(b"message-id:"):
                self.ids.append(line.split(b":", 1)[1].strip().decode())
                break
        later = time.monotonic() + self.rng.uniform(0.1, self.FILING_DELAY)
        self.filing.put((later, content.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
        return "250 2.0.0 Accepted"

    def _file(self) -> None:
        """Files accepted messages in "Sent", each at its moment, on a connection of its own."""
        imap = imaplib.IMAP4("127.0.0.1", self.imap_port)
        imap.login("claire@test.example", "s3cret")
        while (item := self.filing.get()) is not None:
            at, content = item
            time.sleep(max(0.0, at - time.monotonic()))
            imap.append("Sent", None, None, content)
        imap.logout()

    def stop(self) -> None:
        self.filing.put(None)
        self.filer.join(30)


def database() -> tuple[str, Any]:
    """A fresh database for the workers, and a function that runs SQL on it."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        name = f"crash_{uuid.uuid4().hex[:8]}"
        base = url.rsplit("/", 1)[0]
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")

        def query(sql: str) -> list[tuple[Any, ...]]:
            with psycopg.connect(f"{base}/{name}") as conn:
                return conn.execute(sql).fetchall()

        return f"{base}/{name}", query
    path = (
        Path(os.environ.get("RELANCE_DATA_DIR", "/tmp")) / f"crash-{uuid.uuid4().hex[:8]}.sqlite3"
    )

    def query_sqlite(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as conn:
            return conn.execute(sql).fetchall()

    return f"sqlite:///{path}", query_sqlite


def test_killed_workers_lose_nothing_and_send_nothing_twice(tmp_path):
    imap = imapserver.ImapServer({"claire@test.example": "s3cret"}).start()
    sink = ProviderLikeSink(imap.port)
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    url, query = database()
    postgres = url.startswith("postgres")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RELANCE_DATA_DIR": str(tmp_path),
        "RELANCE_SMTP_HOST": "127.0.0.1",
        "RELANCE_SMTP_PORT": str(smtp_port),
        "RELANCE_OUTBOX_LEASE_SECONDS": "2",
        # Longer than the provider takes to file a message in Sent: an uncertain row is
        # never taken for one that did not leave just because it is not filed yet.
        "RELANCE_UNCERTAIN_SETTLE_SECONDS": "4",
        "RELANCE_LANGUAGE": "en",
    }
    workers: dict[int, subprocess.Popen[str]] = {}
    began = time.monotonic()

    def start(n: int) -> None:
        # Every worker's clock on one timeline (as real clocks are): a worker started later
        # starts its clock that much later than Wednesday.
        now = datetime.fromisoformat(WEDNESDAY) + timedelta(seconds=time.monotonic() - began)
        workers[n] = subprocess.Popen(
            [sys.executable, "-m", "relance.cli", "worker", "--interval", "0.05", "--batch", "20",
             "--name", f"w{n}", "--now", now.isoformat()],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip

    def unsettled() -> int:
        return query(
            "SELECT count(*) FROM messaging_outboxmessage "
            "WHERE status IN ('pending', 'claimed', 'sending', 'uncertain')"
        )[0][0]

    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.crash_setup", str(COUNT), str(imap.port)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert query("SELECT count(*) FROM messaging_outboxmessage")[0][0] == COUNT
        count = 4 if postgres else 1
        for n in range(count):
            start(n)
        rng = random.Random(7)
        kills = 0
        deadline = time.monotonic() + 1200
        while unsettled() and kills < 12 and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.3, 1.2))
            victim = rng.randrange(count)
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            kills += 1
            start(victim)
        while unsettled() and time.monotonic() < deadline:
            time.sleep(0.5)
        for process in workers.values():
            process.send_signal(signal.SIGTERM)
        for process in workers.values():
            process.wait(60)
        assert unsettled() == 0, query(
            "SELECT status, count(*) FROM messaging_outboxmessage GROUP BY status"
        )
        statuses = dict(
            query("SELECT status, count(*) FROM messaging_outboxmessage GROUP BY status")
        )
        assert statuses == {"sent": COUNT}
        ours = {row[0] for row in query("SELECT message_id FROM messaging_outboxmessage")}
        received = Counter(sink.ids)
        assert set(received) == ours, "a message was lost"
        assert max(received.values()) == 1, [m for m, n in received.items() if n > 1][:5]
        were_uncertain = query(
            "SELECT count(*) FROM messaging_outboxmessage WHERE last_error LIKE '%Sent folder%'"
            " OR last_error LIKE '%never reached%'"
        )[0][0]
        # A kill leaves at most one row in doubt; so does a message slower than the lease.
        assert were_uncertain <= kills + sink.slow
        sent_touchpoints = query(
            "SELECT count(*) FROM followups_touchpoint WHERE step = 1 AND message_id <> ''"
        )[0][0]
        assert sent_touchpoints == COUNT  # each on its candidate's timeline, once
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.kill()
        controller.stop()
        sink.stop()
        imap.stop()
