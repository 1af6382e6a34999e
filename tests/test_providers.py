"""Sending through a provider's API with django-anymail: the provider's own backend code
runs (anymail's test backend); only the HTTP call to the provider is replaced, at one
place, by a provider that answers what each test needs."""

import pytest
import requests
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from django.core import mail

from relance.followups import services
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage
from relance.people.models import Candidate
from tests.conftest import approach
from tests.test_delivery import deliver_due

pytestmark = pytest.mark.django_db(transaction=True)


class Provider(AnymailTestBackend):
    """The provider's answer: an invalid recipient, or an HTTP error status."""

    invalid: set[str] = set()
    http_status: int | None = None

    def post_to_esp(self, payload, message):
        if Provider.http_status is not None:
            answer = requests.Response()
            answer.status_code, answer.reason = Provider.http_status, "Refused"
            answer._content = b'{"message": "provider says no"}'
            raise AnymailAPIError(
                "provider says no", status_code=Provider.http_status, response=answer
            )
        response = super().post_to_esp(payload, message)
        for address, status in response["recipient_status"].items():
            if address in Provider.invalid:
                status.status = "invalid"
        return response


@pytest.fixture
def provider():
    Provider.invalid, Provider.http_status = set(), None
    mail.outbox = []
    transport = outbox.DjangoTransport(Provider())
    yield transport
    transport.close()


def test_a_provider_receives_the_message_with_its_threading_and_unsubscribe_headers(
    org, recruiter, provider
):
    _, thread = approach(org, recruiter)
    services.queue_send(thread.pk, thread.due_at)
    deliver_due(provider, thread.due_at)
    (sent,) = mail.outbox
    assert sent.to == ["lea@example.org"]
    assert sent.from_email == "Claire Dubois <claire@test.example>"
    assert sent.extra_headers["Message-ID"].startswith("<relance.")
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Léa" in sent.body
    assert OutboxMessage.objects.get().status == "sent"


def test_a_recipient_the_provider_refuses_is_a_bad_address(org, recruiter, provider):
    candidate, thread = approach(org, recruiter)
    services.queue_send(thread.pk, thread.due_at)
    Provider.invalid = {"lea@example.org"}
    deliver_due(provider, thread.due_at)
    row = OutboxMessage.objects.get()
    assert row.status == "failed"
    assert Candidate.objects.get(pk=candidate.pk).email_bounced_at is not None


@pytest.mark.parametrize(
    ("status", "outcome"), [(503, "pending"), (429, "pending"), (400, "failed")]
)
def test_a_provider_error_is_retried_or_final_by_its_http_status(
    org, recruiter, provider, status, outcome
):
    candidate, thread = approach(org, recruiter)
    services.queue_send(thread.pk, thread.due_at)
    Provider.http_status = status
    deliver_due(provider, thread.due_at)
    row = OutboxMessage.objects.get()
    assert row.status == outcome
    assert "provider says no" in row.last_error
    # The candidate is never blamed for the provider's refusal.
    assert Candidate.objects.get(pk=candidate.pk).email_bounced_at is None


def test_the_providers_settings_come_from_anymail_variables(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "RELANCE_DATA_DIR": str(tmp_path), "ANYMAIL_BREVO_API_KEY": "xkeysib-1"}
    env.pop("DATABASE_URL", None)
    shown = subprocess.run(
        [sys.executable, "-m", "relance.cli", "manage", "shell", "-c",
         "from django.conf import settings; print(settings.ANYMAIL)"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "'BREVO_API_KEY': 'xkeysib-1'" in shown.stdout
