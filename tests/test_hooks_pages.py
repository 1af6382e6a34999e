"""The webhooks page (/settings/webhooks/): admins only, the secret shown once, a refused
address said in the reader's language, the delivery log with "send again", and nothing
reachable from another organisation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from relance import hooks
from relance.hooks import endpoints
from relance.hooks.models import Delivery, Endpoint
from relance.people.models import Recruiter


def add(world):  # type: ignore[no-untyped-def]
    return endpoints.add(world.org, "https://93.184.215.14/hooks", ["candidate.replied"], None,
                         datetime.now(tz=UTC))  # fmt: skip


def test_only_an_admin_sees_the_page_and_the_settings_link_to_it(client_of, world):
    assert client_of(world.recruiter).get("/settings/webhooks/").status_code == 404
    admin = client_of(world.admin)
    assert admin.get("/settings/webhooks/").status_code == 200
    assert 'href="/settings/webhooks/"' in admin.get("/settings/").content.decode()


def test_an_endpoint_is_added_with_its_secret_shown_once(client_of, world):
    admin = client_of(world.admin, "fr")
    answer = admin.post(
        "/settings/webhooks/",
        {"url": "https://93.184.215.14/hooks", "events": ["candidate.replied", "consent.given"]},
    )
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "no-store"
    page = answer.content.decode()
    assert "ne sera plus jamais affiché" in page
    secret = re.search(r'data-testid="secret">(whsec_[^<]+)<', page).group(1)
    endpoint = Endpoint.objects.get(organisation=world.org)
    assert endpoint.events == ["candidate.replied", "consent.given"]
    assert endpoint.created_by == world.admin
    assert secret not in endpoint.secret  # stored encrypted
    assert secret not in admin.get("/settings/webhooks/").content.decode()


def test_a_private_address_is_refused_in_the_readers_language(client_of, world):
    for lang, words in (("fr", "adresse locale ou privée"), ("en", "a local or private address")):
        answer = client_of(world.admin, lang).post(
            "/settings/webhooks/", {"url": "https://10.0.0.8/x", "events": ["candidate.replied"]}
        )
        assert answer.status_code == 400
        assert words in answer.content.decode()
    answer = client_of(world.admin, "en").post(
        "/settings/webhooks/", {"url": "https://93.184.215.14/x"}
    )
    assert answer.status_code == 400
    assert "Choose at least one event" in answer.content.decode()
    assert not Endpoint.objects.exists()


def test_the_log_shows_deliveries_and_sends_one_again(client_of, world):
    _endpoint, _ = add(world)
    hooks.emit(
        world.org.pk, "candidate.replied", {"candidate_id": world.lea.pk}, datetime.now(tz=UTC)
    )
    row = Delivery.objects.get()
    Delivery.objects.filter(pk=row.pk).update(status="failed", attempts=10, last_status=500)
    admin = client_of(world.admin, "en")
    page = admin.get("/settings/webhooks/").content.decode()
    assert row.event_id in page
    assert "A candidate replied" in page
    assert "Failed" in page
    answer = admin.post("/settings/webhooks/send-again/", {"delivery": row.pk})
    assert answer.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)


def test_rotate_enable_and_remove(client_of, world):
    endpoint, first = add(world)
    endpoint.disabled_at, endpoint.disabled_reason = datetime.now(tz=UTC), "gone"
    endpoint.save()
    admin = client_of(world.admin, "en")
    assert "it answered 410 Gone" in admin.get("/settings/webhooks/").content.decode()
    answer = admin.post(
        "/settings/webhooks/endpoint/", {"endpoint": endpoint.pk, "action": "rotate"}
    )
    secret = re.search(r'data-testid="secret">(whsec_[^<]+)<', answer.content.decode()).group(1)
    assert secret != first
    admin.post("/settings/webhooks/endpoint/", {"endpoint": endpoint.pk, "action": "enable"})
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None
    admin.post("/settings/webhooks/endpoint/", {"endpoint": endpoint.pk, "action": "remove"})
    assert not Endpoint.objects.exists()


def test_another_organisation_reaches_nothing(client_of, world):
    endpoint, _ = add(world)
    hooks.emit(
        world.org.pk, "candidate.replied", {"candidate_id": world.lea.pk}, datetime.now(tz=UTC)
    )
    row = Delivery.objects.get()
    Delivery.objects.filter(pk=row.pk).update(status="failed")
    Recruiter.objects.filter(pk=world.stranger.pk).update(role=Recruiter.Role.ADMIN)
    world.stranger.refresh_from_db()
    stranger = client_of(world.stranger, "en")
    page = stranger.get("/settings/webhooks/").content.decode()
    assert endpoint.url not in page
    assert row.event_id not in page
    for action in ("rotate", "enable", "remove"):
        answer = stranger.post(
            "/settings/webhooks/endpoint/", {"endpoint": endpoint.pk, "action": action}
        )
        assert answer.status_code == 404
    assert stranger.post("/settings/webhooks/send-again/", {"delivery": row.pk}).status_code == 404
    row.refresh_from_db()
    assert row.status == "failed"
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()
