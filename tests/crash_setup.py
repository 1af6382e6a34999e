"""Fills a fresh database for the crash test: N candidates approached on Monday, each with
its follow-up e-mail written to the outbox for Wednesday, and the recruiter's mailbox
(whose provider files every accepted message in "Sent").

    DATABASE_URL=… python -m tests.crash_setup N [IMAP_PORT]

Also fills the delivery benchmark's database (without a mailbox).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from relance import crypto  # noqa: E402
from relance.engine import Channel, Situation  # noqa: E402
from relance.followups import services  # noqa: E402
from relance.followups.events import Event, EventType  # noqa: E402
from relance.followups.models import Thread  # noqa: E402
from relance.messaging.models import Mailbox  # noqa: E402
from relance.people.models import Candidate, Organisation, Recruiter  # noqa: E402

MONDAY = datetime.fromisoformat("2026-03-02T09:00:00+01:00")


def main(count: int, imap_port: int | None) -> None:
    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(name="Crash", slug="crash")
    recruiter = Recruiter.objects.create_user(
        email="claire@test.example", first_name="Claire", organisation=org
    )
    if imap_port:
        Mailbox.objects.create(
            organisation=org, recruiter=recruiter, host="127.0.0.1", port=imap_port,
            username="claire@test.example", password_encrypted=crypto.encrypt("s3cret"),
            security="none", sent_folder="Sent",
        )  # fmt: skip
    with transaction.atomic():
        for i in range(count):
            candidate = Candidate.objects.create(
                organisation=org, first_name=f"C{i}", email=f"c{i}@example.org", created_at=MONDAY
            )
            event = Event(EventType.MESSAGE_SENT, MONDAY, candidate, recruiter=recruiter,
                          channel=Channel.EMAIL, situation=Situation.FIRST_MESSAGE)  # fmt: skip
            services.record_event(event, MONDAY)
    for thread_id, due in Thread.objects.filter(organisation=org).values_list("pk", "due_at"):
        services.queue_send(thread_id, due)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else None)
