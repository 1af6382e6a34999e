"""A provider's inbound webhook (django-anymail's Postmark view, real code): a reply
posted by the provider stops the candidate's follow-ups, as one read from IMAP would; a
post without the shared secret changes nothing."""

import base64
import importlib
import json

import pytest
from django.urls import clear_url_caches

from relance.followups.models import Thread, Touchpoint
from relance.messaging.models import InboundMessage
from tests.conftest import approach

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhooks(settings):
    import relance.urls

    settings.ANYMAIL = {"WEBHOOK_SECRET": "postmark:s3cret"}
    importlib.reload(relance.urls)
    clear_url_caches()
    yield
    settings.ANYMAIL = {}
    importlib.reload(relance.urls)
    clear_url_caches()


def reply_to(message_id):
    return (
        "From: Léa <lea@example.org>\r\nTo: claire@test.example\r\nSubject: Re: suite\r\n"
        f"Message-ID: <reply-9@example.org>\r\nIn-Reply-To: {message_id}\r\n\r\n"
        "Merci, je ne suis plus en recherche.\r\n"
    )


def post(client, raw, secret="postmark:s3cret"):
    auth = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(
        "/anymail/postmark/inbound/",
        data=json.dumps({"RawEmail": raw, "Headers": [], "FromFull": {"Email": "lea@example.org"}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


def test_a_reply_posted_by_the_provider_stops_the_follow_ups(client, org, recruiter, webhooks):
    candidate, thread = approach(org, recruiter)
    first = Touchpoint.objects.get(candidate=candidate)
    assert post(client, reply_to(first.message_id or "<none@x>")).status_code == 200
    assert InboundMessage.objects.get().kind == "reply"
    assert Thread.objects.get(pk=thread.pk).status == "stopped"


def test_a_post_without_the_secret_changes_nothing(client, org, recruiter, webhooks):
    _, thread = approach(org, recruiter)
    assert post(client, reply_to("<x@y>"), secret="postmark:guess").status_code == 400
    assert InboundMessage.objects.count() == 0
    assert Thread.objects.get(pk=thread.pk).status == "open"


def test_without_a_secret_no_inbound_address_is_open(client, org):
    assert (
        client.post(
            "/anymail/postmark/inbound/", data="{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_a_hostile_message_posted_by_the_provider_is_kept_never_a_crash(client, org, webhooks):
    """Parts nested 1,000 deep: the standard library cannot write it out again (a
    RecursionError). The webhook answers 200 and keeps it (as unreadable if need be): an
    error would make the provider retry it for ever."""
    nested = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(1000)
    )
    raw = "From: x@example.org\r\nTo: claire@test.example\r\nSubject: deep\r\n" + nested + "x\r\n"
    assert post(client, raw).status_code == 200
    assert InboundMessage.objects.count() == 1
