"""One-click unsubscribe (RFC 8058): no login, a mail client's POST, a page in the
candidate's language, every thread stopped at once."""

import re
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.test import Client

from relance.followups import services
from relance.followups.models import Thread
from relance.messaging import outbox, unsubscribe
from relance.messaging.models import OutboxMessage
from tests.conftest import approach, paris

pytestmark = pytest.mark.django_db

T0 = paris(2026, 3, 2, 9, 0)


@pytest.fixture
def lea(org, recruiter):
    return approach(org, recruiter)[0]


def test_every_automated_message_carries_the_one_click_headers(lea):
    thread = Thread.objects.get(candidate=lea)
    row, _ = services.queue_send(thread.pk, thread.due_at)
    message = outbox.outgoing(row, thread.due_at).message()
    header = " ".join(message["List-Unsubscribe"].split())  # unfolded
    link, mailto = re.fullmatch(r"<(https?://[^>]+)>, <(mailto:[^>]+)>", header).groups()
    # The signed link (RFC 8058's one click) and the sender's own address (RFC 2369), each
    # with the person's signed token (a token says who, whenever it was signed).
    token = re.fullmatch(r".*/u/([^/]+)/", link).group(1)
    assert link == f"{settings.RELANCE_BASE_URL}/u/{token}/"
    assert unsubscribe._candidate(token) == lea
    address, subject = re.fullmatch(r"mailto:([^?]+)\?subject=(.+)", mailto).groups()
    assert address == "claire@test.example"
    assert unquote(subject) == f"unsubscribe {unquote(subject).split()[1]}"
    assert unsubscribe._candidate(unquote(subject).split()[1]) == lea
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A stable list per organisation and kind, in the sender's domain (RFC 2919).
    assert message["List-Id"] == (
        f'"Agence Test (relances)" <followups.{lea.organisation_id}.test.example>'
    )


def test_a_mail_clients_one_click_post_unsubscribes_and_stops_everything(lea):
    thread = Thread.objects.get(candidate=lea)
    services.queue_send(thread.pk, thread.due_at)
    path = f"/u/{unsubscribe.token_for(lea)}/"
    response = Client().post(path, {"List-Unsubscribe": "One-Click"})  # no cookie, no CSRF token
    assert response.status_code == 200
    assert "désinscrit" in response.content.decode()
    lea.refresh_from_db()
    assert lea.unsubscribed_at is not None
    assert not Thread.objects.filter(candidate=lea, status="open").exists()
    # The e-mail already written is cancelled when a worker reaches it.
    row = OutboxMessage.objects.get()
    outbox.deliver(row.pk, outbox.MemoryTransport(), thread.due_at)
    row.refresh_from_db()
    assert row.status == "cancelled"
    # Posting again is harmless.
    assert Client().post(path).status_code == 200


def test_opening_the_link_asks_first_in_the_candidates_language(lea):
    response = Client().get(f"/u/{unsubscribe.token_for(lea)}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'lang="fr"' in page
    assert "Me désinscrire" in page
    lea.refresh_from_db()
    assert lea.unsubscribed_at is None  # a link checker opening it changes nothing


def test_a_tampered_link_shows_a_clear_page_and_changes_nothing(lea):
    token = unsubscribe.token_for(lea)
    response = Client(headers={"Accept-Language": "en"}).post(f"/u/{token[:-2]}xx/")
    assert response.status_code == 400
    assert "incomplete or was changed" in response.content.decode()
    lea.refresh_from_db()
    assert lea.unsubscribed_at is None
