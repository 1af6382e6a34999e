"""Sending identities: each recruiter's address and own SMTP server (login encrypted at
rest), limits per minute, per day and per recipient domain, and a policy refusal (5.7.x)
that pauses the sender and alerts its recruiter without blaming the candidate."""

from datetime import timedelta
from email.utils import parseaddr

import pytest

from relance import crypto
from relance.followups import services
from relance.followups.models import Thread
from relance.messaging import senders
from relance.messaging.models import Alert, OutboxMessage, Sender
from relance.people.models import Candidate
from tests.conftest import approach
from tests.smtpserver import SmtpServer
from tests.test_delivery import deliver_due

pytestmark = pytest.mark.django_db(transaction=True)


def identity(org, recruiter, **fields):
    values = {"name": "Claire Dubois", "address": "claire@agence.example", "per_minute": 0,
              "per_day": 0, "per_domain_per_minute": 0, **fields}  # fmt: skip
    return Sender.objects.create(organisation=org, recruiter=recruiter, **values)


def queue(org, recruiter, *emails):
    """Candidates approached on Monday, each with its follow-up written to the outbox."""
    rows = []
    for email in emails:
        _, thread = approach(org, recruiter, email=email)
        row, _ = services.queue_send(thread.pk, thread.due_at)
        rows.append(row)
    return rows


def test_a_recruiters_own_server_and_identity_carry_the_message(org, recruiter, smtp, transport):
    own = SmtpServer(logins={"claire@agence.example": "s3cret pass"}).start()
    try:
        identity(org, recruiter, host="127.0.0.1", port=own.port, security="none",
                 username="claire@agence.example",
                 password_encrypted=crypto.encrypt("s3cret pass"))  # fmt: skip
        (row,) = queue(org, recruiter, "lea@example.org")
        deliver_due(senders.Transports(transport), row.due_at)
        assert len(own.received) == 1
        assert smtp.received == []  # not through the installation's relay
        assert own.logged_in == ["claire@agence.example"]
        message = own.received[0]
        assert message["From"] == "Claire Dubois <claire@agence.example>"
        assert OutboxMessage.objects.get(pk=row.pk).status == "sent"
        stored = Sender.objects.values_list("password_encrypted", flat=True).get()
        assert "s3cret" not in stored
    finally:
        own.stop()


def test_without_an_identity_the_recruiter_sends_through_the_relay_under_their_name(
    org, recruiter, smtp, transport
):
    (row,) = queue(org, recruiter, "lea@example.org")
    deliver_due(transport, row.due_at)
    assert smtp.received[0]["From"] == "Claire Dubois <claire@test.example>"


def test_the_limit_per_minute_holds_the_rest_until_the_minute_has_passed(
    org, recruiter, smtp, transport
):
    identity(org, recruiter, per_minute=2)
    rows = queue(org, recruiter, "a@one.example", "b@two.example", "c@three.example")
    now = max(r.due_at for r in rows)
    deliver_due(transport, now)
    assert len(smtp.received) == 2
    held = OutboxMessage.objects.get(status="pending")
    assert held.last_error == "waiting: rate_limit_per_minute"
    assert held.due_at == now + timedelta(minutes=1)
    deliver_due(transport, now + timedelta(seconds=30))
    assert len(smtp.received) == 2  # still within the minute
    deliver_due(transport, now + timedelta(minutes=1, seconds=1))
    assert len(smtp.received) == 3


def test_the_limit_per_recipient_domain_spreads_messages_to_one_provider(
    org, recruiter, smtp, transport
):
    identity(org, recruiter, per_domain_per_minute=1)
    rows = queue(org, recruiter, "a@gmail.example", "b@gmail.example", "c@other.example")
    deliver_due(transport, max(r.due_at for r in rows))
    assert sorted(parseaddr(m["To"])[1] for m in smtp.received) == [
        "a@gmail.example",
        "c@other.example",
    ]
    held = OutboxMessage.objects.get(status="pending")
    assert (parseaddr(held.to_address)[1], held.last_error) == (
        "b@gmail.example",
        "waiting: rate_limit_per_domain",
    )


def test_the_limit_per_day_waits_until_the_first_slot_of_the_day_frees(
    org, recruiter, smtp, transport
):
    identity(org, recruiter, per_day=1)
    rows = queue(org, recruiter, "a@one.example", "b@two.example")
    now = max(r.due_at for r in rows)
    deliver_due(transport, now)
    held = OutboxMessage.objects.get(status="pending")
    assert held.last_error == "waiting: rate_limit_per_day"
    assert held.due_at == now + timedelta(days=1)


def test_the_relay_has_limits_too_when_they_are_set(org, recruiter, smtp, transport, settings):
    settings.RELANCE_SEND_PER_MINUTE = 1
    rows = queue(org, recruiter, "a@one.example", "b@two.example")
    deliver_due(transport, max(r.due_at for r in rows))
    assert len(smtp.received) == 1


def test_a_policy_refusal_pauses_the_sender_and_alerts_without_blaming_the_candidate(
    org, recruiter, smtp, transport
):
    sender = identity(org, recruiter)
    smtp.faults.refuse["a@one.example"] = (
        "550 5.7.1 Message rejected: sender reputation too low, see the postmaster page"
    )
    rows = queue(org, recruiter, "a@one.example", "b@two.example")
    now = max(r.due_at for r in rows)
    deliver_due(transport, now)
    assert smtp.received == []  # the second waits with the first: the sender is paused
    sender.refresh_from_db()
    assert sender.paused_at == now
    assert "5.7.1" in sender.paused_reason
    alert = Alert.objects.get()
    assert (alert.recruiter, alert.kind) == (recruiter, "sender_paused")
    assert "relance sender resume claire@agence.example" in senders.alert_text(alert, "en")
    assert "Ce n'est pas le fait du candidat" in senders.alert_text(alert, "fr")
    refused = Candidate.objects.get(email="a@one.example")
    assert refused.email_bounced_at is None
    assert Thread.objects.get(candidate=refused).status == "open"
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"pending"}
    # Later cycles leave them waiting while the sender is paused.
    deliver_due(transport, now + timedelta(hours=2))
    assert smtp.received == []
    # Once the set-up is fixed, a person resumes it: both leave at the next cycle.
    del smtp.faults.refuse["a@one.example"]
    later = now + timedelta(hours=3)
    assert senders.resume(sender, later) == 2
    assert Alert.objects.get().resolved_at == later
    deliver_due(transport, later)
    assert sorted(parseaddr(m["To"])[1] for m in smtp.received) == [
        "a@one.example",
        "b@two.example",
    ]


def test_relance_sender_add_checks_the_login_lists_and_resumes(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    own = SmtpServer(logins={"claire": "s3cret pass"}).start()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "RELANCE_DATA_DIR": str(tmp_path), "RELANCE_LANGUAGE": "en"}
    env.pop("DATABASE_URL", None)

    def relance(*args, password="s3cret pass"):
        return subprocess.run(
            [sys.executable, "-m", "relance.cli", *args], cwd=root, capture_output=True, text=True,
            env={**env, "RELANCE_SENDER_PASSWORD": password}, timeout=120,
        )  # fmt: skip

    try:
        assert relance("manage", "migrate", "-v", "0").returncode == 0
        made = relance("manage", "shell", "-c", (
            "from relance.people.models import Organisation as O, Recruiter as R;"
            "o = O.objects.create(name='A', slug='a');"
            "R.objects.create_user(email='claire@a.example', first_name='Claire',"
            " last_name='Dubois', organisation=o)"
        ))  # fmt: skip
        assert made.returncode == 0, made.stderr
        common = ["sender", "add", "--recruiter", "claire@a.example", "--host", "127.0.0.1",
                  "--port", str(own.port), "--user", "claire", "--security", "none", "--check"]  # fmt: skip
        wrong = relance(*common, password="nope")
        assert wrong.returncode == 2
        assert "cannot connect to Claire Dubois <claire@a.example>'s SMTP server" in wrong.stderr
        right = relance(*common, "--per-day", "50")
        assert right.returncode == 0, right.stderr
        assert "limits: 20/min, 50/day, 10/min per domain" in right.stdout
        listed = relance("sender", "list")
        assert "Claire Dubois <claire@a.example>" in listed.stdout
        assert "s3cret" not in listed.stdout
        negative = relance("sender", "add", "--recruiter", "claire@a.example", "--per-day", "-1")
        assert negative.returncode == 2
        assert "--per-day -1: expected 0 (no limit) or more" in negative.stderr
        unknown = relance("sender", "resume", "nobody@a.example")
        assert unknown.returncode == 2
        assert "no sending identity for nobody@a.example" in unknown.stderr
        paused = relance("manage", "shell", "-c", (
            "from datetime import datetime, UTC; from relance.messaging import senders;"
            "from relance.messaging.models import Sender as S; s = S.objects.get();"
            "senders.pause(s.pk, s.recruiter_id, s.organisation_id, '5.7.1', 'blocked',"
            " datetime.now(UTC))"
        ))  # fmt: skip
        assert paused.returncode == 0, paused.stderr
        agenda = relance("agenda", "--recruiter", "claire@a.example")
        assert "Sending paused from claire@a.example" in agenda.stdout
        resumed = relance("sender", "resume", "claire@a.example")
        assert resumed.returncode == 0, resumed.stderr
        assert "Sending paused" not in relance("agenda").stdout
    finally:
        own.stop()
