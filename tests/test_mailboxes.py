"""Reading replies from a real IMAP server (dovecot on loopback): a reply written into the
mailbox stops the thread within one worker cycle; nothing is read twice."""

import os
from datetime import timedelta

import pytest

from relance import crypto
from relance.followups import services
from relance.followups.models import Thread, Touchpoint
from relance.messaging import mailboxes
from relance.messaging.models import InboundMessage, Mailbox
from relance.messaging.outbox import MemoryTransport
from relance.worker import Worker
from tests import imapserver
from tests.conftest import approach, paris

T0 = paris(2026, 3, 2, 9, 0)

if not imapserver.available():
    if os.environ.get("CI"):
        pytest.fail("dovecot is not installed; .ci/run must install dovecot-imapd", pytrace=False)
    pytest.skip(
        "dovecot not installed: apt-get install dovecot-imapd to run these", allow_module_level=True
    )

pytestmark = pytest.mark.django_db


@pytest.fixture
def imap():
    server = imapserver.ImapServer({"claire@test.example": "s3cret"}).start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(org, recruiter, imap):
    return Mailbox.objects.create(
        organisation=org, recruiter=recruiter, host="127.0.0.1", port=imap.port,
        username="claire@test.example", password_encrypted=crypto.encrypt("s3cret"), security="none",
    )  # fmt: skip


@pytest.fixture
def lea(org, recruiter):
    candidate, thread = approach(org, recruiter)
    services.perform_send(thread.pk, thread.due_at, MemoryTransport())
    return candidate


def test_a_reply_in_the_mailbox_stops_the_thread_within_one_worker_cycle(imap, mailbox, lea):
    followup = Touchpoint.objects.get(candidate=lea, step=1)
    imap.deliver(
        "claire@test.example",
        f"From: lea@example.org\nTo: claire@test.example\nSubject: Re: suite\nMessage-ID: <reply-1@example.org>\nIn-Reply-To: {followup.message_id}\n\nAvec plaisir, appelez-moi demain.\n".encode(),
    )
    assert Thread.objects.filter(candidate=lea, status="open").exists()
    now = followup.at + timedelta(hours=3)
    report = Worker(name="w", transport=MemoryTransport(), clock=lambda: now).cycle()
    assert report.received == 1
    assert not Thread.objects.filter(candidate=lea, status="open").exists()
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.last_error) == (1, "")
    # The next cycle reads nothing again.
    assert Worker(name="w", transport=MemoryTransport(), clock=lambda: now).cycle().received == 0
    assert InboundMessage.objects.count() == 1


def test_a_new_numbering_of_the_folder_does_not_make_old_messages_count_twice(imap, mailbox, lea):
    imap.deliver(
        "claire@test.example",
        b"From: lea@example.org\nSubject: Re: x\nMessage-ID: <r2@example.org>\n\nOui\n",
    )
    now = T0 + timedelta(days=3)
    mailboxes.read(mailbox, now)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1)  # the server renumbered
    mailbox.refresh_from_db()
    again = mailboxes.read(mailbox, now)
    assert [r.outcome for r in again.received] == ["duplicate"]
    assert InboundMessage.objects.count() == 1


def test_a_mailbox_that_cannot_be_reached_is_noted_and_skipped(org, recruiter, lea):
    broken = Mailbox.objects.create(
        organisation=org,
        host="127.0.0.1",
        port=1,
        username="x",
        password_encrypted=crypto.encrypt("y"),
        security="none",
    )
    reading = mailboxes.read(broken, T0)
    assert reading.error.startswith("cannot log in")
    broken.refresh_from_db()
    assert broken.last_error.startswith("cannot log in")


def test_a_wrong_password_is_noted_not_fatal(imap, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(password_encrypted=crypto.encrypt("wrong"))
    mailbox.refresh_from_db()
    reading = mailboxes.read(mailbox, T0)
    assert "cannot log in" in reading.error


def test_credentials_are_stored_encrypted(mailbox):
    assert "s3cret" not in mailbox.password_encrypted
    assert crypto.decrypt(mailbox.password_encrypted) == "s3cret"


def test_relance_mailbox_add_checks_the_login_and_stores_it(imap, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "RELANCE_DATA_DIR": str(tmp_path), "RELANCE_LANGUAGE": "en"}
    env.pop("DATABASE_URL", None)

    def relance(*args, password="s3cret"):
        return subprocess.run(
            [sys.executable, "-m", "relance.cli", *args], cwd=root, capture_output=True, text=True,
            env={**env, "RELANCE_MAILBOX_PASSWORD": password}, timeout=120,
        )  # fmt: skip

    migrated = relance("manage", "migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    made = relance(
        "manage",
        "shell",
        "-c",
        "from relance.people.models import Organisation as O; O.objects.create(name='A', slug='a')",
    )
    assert made.returncode == 0, made.stderr
    common = [
        "mailbox",
        "add",
        "--host",
        "127.0.0.1",
        "--port",
        str(imap.port),
        "--user",
        "claire@test.example",
        "--security",
        "none",
        "--check",
    ]
    wrong = relance(*common, password="nope")
    assert wrong.returncode == 2
    assert "cannot log in" in wrong.stderr
    right = relance(*common)
    assert right.returncode == 0, right.stderr
    assert "Mailbox added" in right.stdout
    listed = relance("mailbox", "list")
    assert "claire@test.example@127.0.0.1/INBOX" in listed.stdout
    assert "s3cret" not in listed.stdout


def test_uncertain_messages_are_settled_against_the_sent_folder(imap, mailbox, org, recruiter):
    from relance.messaging import outbox
    from relance.messaging.models import OutboxMessage

    Mailbox.objects.filter(pk=mailbox.pk).update(sent_folder="Sent")
    rows = []
    for name in ("anna", "bruno"):
        _, thread = approach(org, recruiter, email=f"{name}@example.org", first_name=name)
        row, _ = services.queue_send(thread.pk, thread.due_at)
        OutboxMessage.objects.filter(pk=row.pk).update(status="uncertain")
        rows.append(row)
    # The provider filed Anna's message: it did leave. Bruno's never reached it.
    imap.deliver("claire@test.example", outbox.outgoing(rows[0], T0).data, folder="Sent")
    now = rows[1].due_at + timedelta(minutes=10)
    assert mailboxes.resolve_uncertain(now) == {"sent": 1, "resend": 1, "undecided": 0}
    anna, bruno = (OutboxMessage.objects.get(pk=r.pk) for r in rows)
    assert anna.status == "sent"
    assert Touchpoint.objects.filter(message_id=anna.message_id).exists()
    assert (bruno.status, bruno.due_at) == ("pending", now)


def test_without_a_sent_folder_uncertain_messages_wait_for_a_person(mailbox, org, recruiter, lea):
    from relance.messaging import outbox
    from relance.messaging.models import OutboxMessage

    thread = Thread.objects.get(candidate=lea)
    row, _ = services.queue_send(thread.pk, thread.due_at)
    OutboxMessage.objects.filter(pk=row.pk).update(status="uncertain")
    assert mailboxes.resolve_uncertain(thread.due_at) == {"sent": 0, "resend": 0, "undecided": 1}
    outbox.settle(row.pk, "resend", thread.due_at)
    assert OutboxMessage.objects.get(pk=row.pk).status == "pending"


@pytest.mark.django_db(transaction=True)
def test_imap_idle_wakes_the_worker_as_soon_as_a_reply_arrives(imap, mailbox, lea):
    import threading
    import time

    followup = Touchpoint.objects.get(candidate=lea, step=1)
    now = followup.at + timedelta(hours=3)
    worker = Worker(name="w", transport=MemoryTransport(), clock=lambda: now)
    cycles = []
    runner = threading.Thread(target=worker.run, args=(600, cycles.append))  # 10 minutes apart
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while not (cycles and any(w.is_alive() for w in _watchers())) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.1)
        time.sleep(0.5)  # the watcher is idling
        imap.deliver(
            "claire@test.example",
            f"From: lea@example.org\nTo: claire@test.example\nSubject: Re: suite\nMessage-ID: <reply-2@example.org>\nIn-Reply-To: {followup.message_id}\n\nOui, appelez-moi.\n".encode(),
        )
        deadline = time.monotonic() + 20
        while len(cycles) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        # A second cycle came long before the 10 minutes: IDLE woke the worker.
        assert len(cycles) >= 2
        assert sum(c.received for c in cycles) == 1
        assert not Thread.objects.filter(candidate=lea, status="open").exists()
    finally:
        worker.stop()
        runner.join(30)
    assert not runner.is_alive()


def _watchers():
    import threading

    return [t for t in threading.enumerate() if t.name.startswith("idle:")]


def test_an_uncertain_message_is_not_looked_for_before_the_provider_could_file_it(
    imap, mailbox, org, recruiter
):
    """Issue 12: a worker's recovery made a row uncertain, looked for it in Sent at once —
    before the provider had filed it — concluded "never left" and sent it again. It is
    looked for only after RELANCE_UNCERTAIN_SETTLE_SECONDS."""
    from relance.messaging import outbox
    from relance.messaging.models import OutboxMessage

    Mailbox.objects.filter(pk=mailbox.pk).update(sent_folder="Sent")
    _, thread = approach(org, recruiter, email="anna@example.org", first_name="anna")
    row, _ = services.queue_send(thread.pk, thread.due_at)
    outbox.claim(thread.due_at, "w1")
    OutboxMessage.objects.filter(pk=row.pk).update(status="sending")  # then w1 hung
    lost = thread.due_at + outbox.lease() + timedelta(seconds=1)
    assert outbox.recover(lost)["uncertain"] == 1
    assert mailboxes.resolve_uncertain(lost) == {"sent": 0, "resend": 0, "undecided": 0}
    assert OutboxMessage.objects.get(pk=row.pk).status == "uncertain"  # not resent
    imap.deliver("claire@test.example", outbox.outgoing(row, T0).data, folder="Sent")  # filed late
    later = lost + outbox.settle_delay()
    assert mailboxes.resolve_uncertain(later) == {"sent": 1, "resend": 0, "undecided": 0}
    assert OutboxMessage.objects.get(pk=row.pk).status == "sent"
