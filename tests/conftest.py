from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings

# default: a developer's run. ci: the same examples every time, so that a failure can be
# replayed exactly (hunting for new ones is `explore`'s job:
# RELANCE_HYPOTHESIS=explore .venv/bin/python -m pytest tests/test_properties.py).
# postgresql: the second run of the suite, on PostgreSQL.
for name, examples, fixed in (
    ("default", 60, False),
    ("ci", 200, True),
    ("explore", 1500, False),
    ("postgresql", 25, True),
):
    settings.register_profile(
        name,
        max_examples=examples,
        derandomize=fixed,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
if os.environ.get("RELANCE_HYPOTHESIS"):
    settings.load_profile(os.environ["RELANCE_HYPOTHESIS"])
elif os.environ.get("RELANCE_TEST_ON_POSTGRESQL"):
    settings.load_profile("postgresql")
elif os.environ.get("CI"):
    settings.load_profile("ci")
else:
    settings.load_profile("default")

PARIS_WINTER = timezone(timedelta(hours=1))


def paris(*args: int) -> datetime:
    """A Paris wall-clock time in winter (UTC+1)."""
    return datetime(*args, tzinfo=PARIS_WINTER)  # type: ignore[misc]


@pytest.fixture
def org(db):  # type: ignore[no-untyped-def]
    from relance.people.models import Organisation

    return Organisation.objects.create(name="Agence Test", slug="test")


@pytest.fixture
def recruiter(org):  # type: ignore[no-untyped-def]
    from relance.people.models import Recruiter

    return Recruiter.objects.create_user(
        email="claire@test.example", first_name="Claire", last_name="Dubois", organisation=org
    )


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    """A real SMTP server on a loopback port (aiosmtpd), able to misbehave on purpose."""
    from tests.smtpserver import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def transport(smtp):  # type: ignore[no-untyped-def]
    """Django's SMTP backend to that server, one reused connection."""
    from django.core.mail import get_connection

    from relance.messaging import outbox

    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=smtp.port, timeout=5
    )
    t = outbox.DjangoTransport(connection)
    yield t
    t.close()


def approach(org, recruiter, email: str = "lea@example.org", first_name: str = "Léa"):  # type: ignore[no-untyped-def]
    """A candidate a recruiter wrote to by e-mail on Monday 2 March 2026 at 09:00 (Paris):
    their first-message thread is open. Returns (candidate, thread)."""
    from relance.engine import Channel, Situation
    from relance.followups import services
    from relance.followups.events import Event, EventType
    from relance.followups.models import Thread
    from relance.people.models import Candidate

    at = paris(2026, 3, 2, 9, 0)
    candidate = Candidate.objects.create(
        organisation=org, first_name=first_name, last_name="Martin", email=email, created_at=at
    )
    event = Event(EventType.MESSAGE_SENT, at, candidate, recruiter=recruiter,
                  channel=Channel.EMAIL, situation=Situation.FIRST_MESSAGE)  # fmt: skip
    services.record_event(event, at)
    return candidate, Thread.objects.get(candidate=candidate)


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    """The web app's world (tests/web_world.py) with the clock at its moment."""
    from relance import clock
    from tests import web_world

    clock.start_at(web_world.NOW)
    yield web_world.build()
    clock.start_at(None)


@pytest.fixture
def client_of(client):  # type: ignore[no-untyped-def]
    """Django's test client signed in as a user, in a language (English by default)."""

    def signed_in(user, language="en"):  # type: ignore[no-untyped-def]
        client.force_login(user)
        client.cookies["django_language"] = language
        return client

    return signed_in
