"""The API's read endpoints (agenda with reasons, threads, pools, segments, campaigns,
consents) and, for every route of the API that names a row, another organisation's row:
a 404 for every method, and nothing of theirs changed."""

from __future__ import annotations

import re

import pytest

from relance.api import keys
from relance.api.main import api as ninja_api
from relance.people.models import Application, Consent
from relance.pools.models import Campaign, Pool, PoolMember, Segment
from tests import web_world


@pytest.fixture
def auth(world):
    token = keys.create(world.org, "ATS", "write", world.admin, web_world.NOW)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_agenda_says_why_in_the_readers_language(client, world, auth):
    english = client.get("/api/v1/agenda", HTTP_ACCEPT_LANGUAGE="en", **auth).json()
    french = client.get("/api/v1/agenda", HTTP_ACCEPT_LANGUAGE="fr", **auth).json()
    assert {i["candidate"]["id"] for i in english} == {world.lea.pk, world.paul.pk}
    assert [i["reason"] for i in english] == [i["reason"] for i in french]
    assert all(i["why"] for i in english)
    assert [i["why"] for i in english] != [i["why"] for i in french]


def test_pools_segments_campaigns_and_consents_are_read(client, world, auth):
    pool = Pool.objects.create(organisation=world.org, name="Java", created_at=web_world.T0)
    PoolMember.objects.create(organisation=world.org, pool=pool, candidate=world.lea,
                              added_at=web_world.T0)  # fmt: skip
    segment = Segment.objects.create(organisation=world.org, name="All",
                                     definition={"all": []}, created_at=web_world.T0)  # fmt: skip
    Consent.objects.create(organisation=world.org, candidate=world.lea, purpose="talent_pool",
                           given_at=web_world.T0)  # fmt: skip
    pools = client.get("/api/v1/pools", **auth).json()["items"]
    assert [(p["name"], p["members"]) for p in pools] == [("Java", 1)]
    members = client.get(f"/api/v1/pools/{pool.pk}/members", **auth).json()
    assert members["items"] == [world.lea.pk]
    counted = client.get(f"/api/v1/segments/{segment.pk}/count", **auth)
    assert counted.status_code == 200, counted.content
    assert counted.json()["count"] == 2
    consents = client.get(f"/api/v1/consents?candidate={world.lea.pk}", **auth).json()["items"]
    assert [c["purpose"] for c in consents] == ["talent_pool"]
    other = client.get(f"/api/v1/consents?candidate={world.other_candidate.pk}", **auth)
    assert other.json()["items"] == []


def _other_rows(world):
    """One row of the other organisation for each kind of id a route takes."""
    other = world.other_job.organisation
    t0 = web_world.T0
    application = Application.objects.create(
        organisation=other, candidate=world.other_candidate, job=world.other_job,
        stage="contacted", stage_changed_at=t0,
    )  # fmt: skip
    return {
        "candidate_id": world.other_candidate.pk,
        "job_id": world.other_job.pk,
        "application_id": application.pk,
        "pool_id": Pool.objects.create(organisation=other, name="P", created_at=t0).pk,
        "segment_id": Segment.objects.create(
            organisation=other, name="S", definition={"all": []}, created_at=t0
        ).pk,
        "campaign_id": Campaign.objects.create(
            organisation=other,
            name="C",
            subject_fr="s",
            body_fr="b",
            subject_en="s",
            body_en="b",
            created_at=t0,
        ).pk,
    }


def test_no_api_route_that_names_a_row_reaches_another_organisation(client, world, auth):
    """Every path of the OpenAPI document with an id, every method it serves: given the
    other organisation's row, 404, and their rows are as they were."""
    ids = _other_rows(world)
    document = ninja_api.get_openapi_schema(path_params={})
    body = {"stage": "rejected", "title": "Stolen", "stars": 3, "at": "2026-03-05T10:00:00Z"}

    def theirs():
        other = world.other_job.organisation
        return (
            list(Application.objects.filter(organisation=other).values_list("stage")),
            list(world.other_job.__class__.objects.filter(organisation=other)
                 .values_list("title", "status")),
            list(Campaign.objects.filter(organisation=other).values_list("status")),
            list(world.other_candidate.__class__.objects.filter(organisation=other)
                 .values_list("stars", "first_name")),
        )  # fmt: skip

    before = theirs()
    checked = 0
    for route, item in document["paths"].items():
        names = re.findall(r"\{(\w+)\}", route)
        if not names:
            continue
        assert set(names) <= set(ids), f"{route}: no row of the other organisation for it"
        url = route
        for name in names:
            url = url.replace("{" + name + "}", str(ids[name]))
        for method in item:
            answer = getattr(client, method)(url, data=body, content_type="application/json",
                                             **auth)  # fmt: skip
            assert answer.status_code == 404, f"{method.upper()} {url}: {answer.status_code}"
            checked += 1
    assert checked >= 10
    assert theirs() == before
