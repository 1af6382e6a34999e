"""The API keys page (/settings/api/): admins only, the token shown once, revoking, and
nothing reachable from another organisation."""

from __future__ import annotations

import re

from relance.api import keys
from relance.api.models import ApiKey
from relance.people.models import Recruiter
from tests import web_world


def test_only_an_admin_sees_the_keys_page_and_the_settings_link_to_it(client_of, world):
    assert client_of(world.recruiter).get("/settings/api/").status_code == 404
    admin = client_of(world.admin)
    assert admin.get("/settings/api/").status_code == 200
    assert 'href="/settings/api/"' in admin.get("/settings/").content.decode()


def test_a_key_is_shown_once_and_works(client_of, world, client):
    admin = client_of(world.admin, "fr")
    created = admin.post("/settings/api/", {"name": "Notre ATS", "scope": "write"})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    page = created.content.decode()
    assert "ne sera plus jamais affichée" in page
    token = re.search(r'data-testid="token">(rlk_[^<]+)<', page).group(1)
    key = ApiKey.objects.get(organisation=world.org)
    assert (key.name, key.scope, key.created_by) == ("Notre ATS", "write", world.admin)
    assert token not in admin.get("/settings/api/").content.decode()
    client.logout()
    answer = client.get("/api/v1/candidates", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200


def test_a_bad_key_name_is_said_and_nothing_is_created(client_of, world):
    answer = client_of(world.admin).post("/settings/api/", {"name": " ", "scope": "admin"})
    assert answer.status_code == 400
    assert "Give the key a name" in answer.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_is_scoped_to_the_organisation(client_of, world):
    key, token = keys.create(world.org, "Zephyr sync", "read", world.admin, web_world.NOW)
    world.stranger.role = Recruiter.Role.ADMIN
    world.stranger.save(update_fields=["role"])
    stranger = client_of(world.stranger)
    assert stranger.post("/settings/api/revoke/", {"key": key.pk}).status_code == 404
    assert "Zephyr" not in stranger.get("/settings/api/").content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
    admin = client_of(world.admin)
    assert admin.post("/settings/api/revoke/", {"key": key.pk}).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert key.revoked_by == world.admin
    assert keys.find(token, web_world.NOW) is None
    assert admin.post("/settings/api/revoke/", {"key": "x" * 30}).status_code == 404
