"""The worker: a cycle writes what came due to the outbox and sends it, once."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
from django.core.mail import get_connection

from relance.engine import Channel, Situation
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage
from relance.people.models import Candidate, Organisation, Recruiter
from relance.worker import Worker
from tests.conftest import paris
from tests.smtpserver import SmtpServer

T0 = paris(2026, 3, 2, 9, 0)
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db(transaction=True)
def test_a_cycle_sends_what_came_due_in_every_organisation_exactly_once():
    smtp = SmtpServer().start()
    try:
        for slug in ("a", "b"):
            org = Organisation.objects.create(name=slug, slug=slug)
            recruiter = Recruiter.objects.create_user(email=f"r@{slug}.example", organisation=org)
            lea = Candidate.objects.create(
                organisation=org, first_name="Léa", email=f"lea@{slug}.example", created_at=T0
            )
            event = Event(
                EventType.MESSAGE_SENT,
                T0,
                lea,
                recruiter=recruiter,
                channel=Channel.EMAIL,
                situation=Situation.FIRST_MESSAGE,
            )
            services.record_event(event, T0)
        due = Thread.objects.order_by("due_at").last().due_at
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host="127.0.0.1",
            port=smtp.port,
            timeout=5,
        )
        moment = [due - timedelta(hours=1)]  # the worker reads it once per batch too
        worker = Worker(
            name="w1", transport=outbox.DjangoTransport(connection), clock=lambda: moment[0]
        )
        early = worker.cycle()
        assert (early.queued, early.sent) == (0, 0)
        moment[0] = due
        first = worker.cycle()
        assert (first.queued, first.sent) == (2, 2)
        moment[0] = due + timedelta(minutes=1)
        second = worker.cycle()
        assert (second.queued, second.sent) == (0, 0)
        assert sorted(parseaddr(m["To"])[1] for m in smtp.received) == [
            "lea@a.example",
            "lea@b.example",
        ]
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
        worker.transport.close()
    finally:
        smtp.stop()


def test_the_worker_stops_cleanly_on_sigterm(tmp_path):
    env = {**os.environ, "RELANCE_DATA_DIR": str(tmp_path), "RELANCE_LANGUAGE": "en"}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "relance.cli", "worker", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        started = ""
        while "started" not in started and time.monotonic() < deadline:
            started += process.stdout.readline()
        assert "Worker" in started
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopped cleanly" in out
