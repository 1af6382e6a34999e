"""The issue's "Done when": a candidate answers an e-mail (a real IMAP server on loopback),
and the team's other tool receives a signed `candidate.replied` webhook (a real HTTP
receiver on loopback that checks the signature with the `standardwebhooks` package)."""

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from relance import crypto
from relance.followups import services
from relance.followups.models import Thread, Touchpoint
from relance.hooks import endpoints
from relance.messaging.models import Mailbox
from relance.messaging.outbox import MemoryTransport
from relance.worker import Worker
from tests import imapserver
from tests.conftest import approach
from tests.test_hooks import Receiver

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
def receiver(settings):
    settings.RELANCE_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is on loopback
    found = Receiver()
    yield found
    found.close()


def test_a_reply_by_e_mail_reaches_the_other_tool_as_a_signed_candidate_replied(
    org, recruiter, imap, receiver
):
    Mailbox.objects.create(
        organisation=org, recruiter=recruiter, host="127.0.0.1", port=imap.port,
        username="claire@test.example", password_encrypted=crypto.encrypt("s3cret"), security="none",
    )  # fmt: skip
    _, secret = endpoints.add(
        org, receiver.url, ["candidate.replied", "thread.stopped"], None, datetime.now(tz=UTC)
    )
    receiver.secrets.append(secret)
    lea, thread = approach(org, recruiter)
    services.perform_send(thread.pk, thread.due_at, MemoryTransport())
    followup = Touchpoint.objects.get(candidate=lea, step=1)
    imap.deliver(
        "claire@test.example",
        f"From: lea@example.org\nTo: claire@test.example\nSubject: Re: suite\nMessage-ID: <reply-1@example.org>\nIn-Reply-To: {followup.message_id}\n\nAvec plaisir.\n".encode(),
    )
    then = followup.at + timedelta(hours=3)
    assert Worker(name="w", transport=MemoryTransport(), clock=lambda: then).cycle().received == 1
    assert not Thread.objects.filter(candidate=lea, status="open").exists()
    # The next cycle (the real clock: the receiver checks the timestamp against its own)
    # delivers what the reply wrote.
    report = Worker(name="w", transport=MemoryTransport()).cycle()
    assert report.webhooks == 2
    by_type = {json.loads(r["body"])["type"]: r for r in receiver.received}
    replied = by_type["candidate.replied"]
    assert replied["verified"] == [secret]  # standardwebhooks accepted the signature
    assert json.loads(replied["body"])["data"] == {
        "organisation_id": org.pk, "candidate_id": lea.pk, "channel": "email",
    }  # fmt: skip
    assert json.loads(by_type["thread.stopped"]["body"])["data"]["reason"] == "replied"
