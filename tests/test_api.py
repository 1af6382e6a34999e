"""The REST API through Django's test client: keys, scopes, problem details, isolation,
pagination, rate limit, idempotency, and events that keep every hard rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from relance import clock
from relance.api import keys
from relance.api.models import ApiKey, ApiWrite, RateWindow
from relance.people.models import AuditEntry, Candidate, Organisation, Recruiter

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday


class Traveller:
    """The app's clock, standing still at NOW until shifted."""

    def __init__(self) -> None:
        self.at = NOW

    def shift(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def traveller(monkeypatch):
    t = Traveller()
    monkeypatch.setattr(clock, "now", lambda: t.at)
    return t


@pytest.fixture
def admin(org):
    return Recruiter.objects.create_user(
        email="admin@test.example",
        first_name="Ada",
        last_name="Admin",
        organisation=org,
        role=Recruiter.Role.ADMIN,
    )


@pytest.fixture
def token(org, admin, traveller):
    return keys.create(org, "ATS", "write", admin, NOW)[1]


@pytest.fixture
def api(client, token):
    """The test client, with the key and a JSON body by default."""

    class Api:
        def __init__(self, token: str) -> None:
            self.token = token

        def call(self, method: str, path: str, body=None, lang="en", **headers):
            extra = {"HTTP_AUTHORIZATION": f"Bearer {self.token}", "HTTP_ACCEPT_LANGUAGE": lang}
            extra.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
            data = json.dumps(body) if body is not None else None
            return getattr(client, method)(
                "/api/v1" + path, data=data, content_type="application/json", **extra
            )

        def get(self, path, **kw):
            return self.call("get", path, **kw)

        def post(self, path, body=None, **kw):
            return self.call("post", path, body, **kw)

        def patch(self, path, body=None, **kw):
            return self.call("patch", path, body, **kw)

    return Api(token)


def test_it_stores_only_the_digest_of_a_key_shown_once(org, admin):
    key, token = keys.create(org, "ATS", "read", admin, NOW)
    assert token.startswith("rlk_")
    assert len(token) > 40
    stored = ApiKey.objects.get(pk=key.pk)
    assert token not in (stored.digest, stored.prefix, stored.name)
    assert stored.digest == keys.digest(token)
    assert keys.find(token, NOW) == key
    assert keys.find(token + "x", NOW) is None
    assert keys.find("", NOW) is None


def test_a_revoked_key_is_refused_at_once(client, org, admin, traveller):
    key, token = keys.create(org, "ATS", "read", admin, NOW)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/candidates", **auth).status_code == 200
    assert keys.revoke(key, admin, NOW)
    answer = client.get("/api/v1/candidates", **auth)
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert answer["WWW-Authenticate"].startswith("Bearer")


def test_no_key_is_a_401_problem_in_french(client, db):
    answer = client.get("/api/v1/candidates", HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 401
    body = answer.json()
    assert body["status"] == 401
    assert body["type"].endswith("/unauthenticated")
    assert "clé" in body["title"].lower()


def test_the_openapi_document_is_3_1_and_public(client, db):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/candidates" in document["paths"]
    assert "/api/v1/events" in document["paths"]


def test_the_docs_page_has_no_script_and_lists_every_operation(client, db):
    answer = client.get("/api/v1/docs")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<script" not in html
    assert "POST /api/v1/events" in html
    assert "openapi.json" in html


def test_a_read_key_cannot_write(client, org, admin, traveller):
    token = keys.create(org, "BI", "read", admin, NOW)[1]
    answer = client.post(
        "/api/v1/candidates",
        data={"first_name": "Léa"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 403
    assert not Candidate.objects.exists()


def test_it_creates_reads_and_updates_a_candidate_through_the_service(api, org, admin):
    created = api.post(
        "/candidates",
        {
            "first_name": "Léa",
            "source": "linkedin",
            "email": "Lea@Example.COM",
            "phone": "06 12 34 56 78",
            "stars": 2,
        },
    )
    assert created.status_code == 201, created.content
    person = created.json()
    assert person["email"] == "Lea@example.com"  # normalised by people/contact.py
    assert person["phone"] == "+33612345678"
    assert person["owner"] == admin.pk
    read = api.get(f"/candidates/{person['id']}")
    assert read.json() == person
    changed = api.patch(f"/candidates/{person['id']}", {"stars": 3})
    assert changed.status_code == 200
    assert changed.json()["stars"] == 3
    entries = AuditEntry.objects.filter(candidate_id=person["id"]).order_by("pk")
    assert [e.actor_id for e in entries] == [admin.pk, admin.pk]
    assert entries.last().detail["via"] == "api"
    assert ApiWrite.objects.filter(method="PATCH", status=200).count() == 1


def test_bad_input_is_a_problem_naming_each_field_in_the_readers_language(api, org):
    answer = api.post(
        "/candidates",
        {"first_name": "Léa", "source": "linkedin", "email": "not-an-address"},
        lang="fr",
    )
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert [e["field"] for e in body["errors"]] == ["email"]
    typed = api.post("/candidates", {"first_name": "Léa", "source": "email", "stars": 9}, lang="fr")
    assert typed.status_code == 422
    assert typed.json()["errors"] == [{"field": "stars", "message": "au plus 3."}]
    english = api.post("/candidates", {"first_name": "Léa", "source": "email", "stars": 9})
    assert english.json()["errors"] == [{"field": "stars", "message": "at most 3."}]
    assert not Candidate.objects.exists()


def test_another_organisations_rows_are_404(api, org, traveller):
    other = Organisation.objects.create(name="Autre", slug="autre")
    stranger = Candidate.objects.create(organisation=other, first_name="Eve", created_at=NOW)
    assert api.get(f"/candidates/{stranger.pk}").status_code == 404
    assert api.patch(f"/candidates/{stranger.pk}", {"stars": 1}).status_code == 404
    assert api.get("/candidates").json()["items"] == []
    assert api.get(f"/candidates/{2**70}").status_code == 404
    assert api.post("/events", {"candidate": stranger.pk, "type": "reply"}).status_code == 404


def test_cursor_pages_cover_every_row_once(api, org, traveller):
    Candidate.objects.bulk_create(
        Candidate(organisation=org, first_name=f"P{i}", created_at=NOW) for i in range(7)
    )
    seen, cursor = [], None
    while True:
        answer = api.get("/candidates?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        page = answer.json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen, reverse=True) == seen
    assert len(seen) == len(set(seen)) == 7
    bad = api.get("/candidates?cursor=bm9wZQ")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"


def test_the_rate_limit_answers_429_with_retry_after(api, settings, traveller):
    settings.RELANCE_API_RATE_LIMIT = 3
    assert [api.get("/candidates").status_code for _ in range(3)] == [200] * 3
    over = api.get("/candidates")
    assert over.status_code == 429
    assert over["Retry-After"] == "60"  # at 09:30:00 the window ends at 09:31:00
    traveller.shift(40)
    assert api.get("/candidates")["Retry-After"] == "20"
    traveller.shift(20)
    assert api.get("/candidates").status_code == 200
    assert RateWindow.objects.count() == 1  # the old window went


def test_an_idempotency_key_replays_the_same_request_and_refuses_another(api, org):
    body = {"first_name": "Léa", "source": "linkedin", "email": "lea@example.com"}
    first = api.post("/candidates", body, **{"Idempotency-Key": "abc"})
    again = api.post("/candidates", body, **{"Idempotency-Key": "abc"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Candidate.objects.count() == 1
    other = api.post("/candidates", {**body, "first_name": "Léo"}, **{"Idempotency-Key": "abc"})
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


def test_an_answered_call_through_the_api_stops_the_follow_ups(api, org, traveller):
    from relance.followups.models import Thread

    person = api.post(
        "/candidates", {"first_name": "Léa", "source": "linkedin", "email": "lea@example.com"}
    ).json()
    sent = api.post(
        "/events",
        {
            "candidate": person["id"],
            "type": "message_sent",
            "channel": "email",
            "situation": "first_message",
        },
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["started"] == ["first_message"]
    threads = api.get(f"/threads?candidate={person['id']}&status=open").json()["items"]
    assert len(threads) == 1
    assert threads[0]["why"]
    call = api.post("/events", {"candidate": person["id"], "type": "call", "outcome": "answered"})
    assert call.status_code == 201, call.content
    assert call.json()["stopped"] == 1
    assert not Thread.objects.filter(candidate_id=person["id"], status="open").exists()
    missing = api.post("/events", {"candidate": person["id"], "type": "call"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "outcome"


def test_jobs_and_applications_go_through_the_pipeline(api, org):
    job = api.post("/jobs", {"title": "Développeur Python", "contract": "permanent"})
    assert job.status_code == 201, job.content
    job_id = job.json()["id"]
    person = api.post(
        "/candidates", {"first_name": "Léa", "source": "linkedin", "email": "lea@example.com"}
    ).json()
    application = api.post(
        "/applications", {"candidate": person["id"], "job": job_id, "stage": "contacted"}
    )
    assert application.status_code == 201, application.content
    app_id = application.json()["id"]
    moved = api.post(f"/applications/{app_id}/stage", {"stage": "interview"})
    assert moved.status_code == 200
    assert moved.json()["stage"] == "interview"
    back = api.post(f"/applications/{app_id}/stage", {"stage": "contacted"})
    assert back.status_code == 409
    assert back.json()["code"] == "goes_back"
    closed = api.post(f"/jobs/{job_id}/close")
    assert closed.json()["status"] == "closed"
    other = api.post(
        "/candidates", {"first_name": "Léo", "source": "linkedin", "email": "leo@example.com"}
    ).json()
    refused = api.post("/applications", {"candidate": other["id"], "job": job_id})
    french = api.post("/applications", {"candidate": other["id"], "job": job_id}, lang="fr")
    assert "fermé" in french.json()["detail"]
    assert refused.status_code == 409
    assert refused.json()["code"] == "job_closed"
    assert api.patch(f"/jobs/{job_id}", {"title": ""}).status_code == 422
    owner = api.patch(f"/jobs/{job_id}", {"owner": 999999}, lang="fr")
    assert owner.json()["errors"] == [
        {"field": "owner", "message": "999999 n'est pas un recruteur de votre organisation."}
    ]


def test_a_page_of_candidates_costs_the_same_queries_however_many_owners(
    api, org, admin, django_assert_max_num_queries
):
    """A page reads its rows in one query: asking each row for its owner fetched every
    owner (50 queries for a page of 50 at a million candidates, 18 ms instead of 6)."""
    owners = [
        Recruiter.objects.create_user(email=f"r{i}@test.example", organisation=org)
        for i in range(5)
    ]
    Candidate.objects.bulk_create(
        Candidate(organisation=org, first_name=f"P{i}", created_at=NOW, owner=owners[i % 5])
        for i in range(20)
    )
    api.get("/candidates?limit=20")  # the key's first use is recorded once
    with django_assert_max_num_queries(6):
        page = api.get("/candidates?limit=20").json()
    assert {p["owner"] for p in page["items"]} == {o.pk for o in owners}
