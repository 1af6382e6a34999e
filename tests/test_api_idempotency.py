"""Idempotency-Key (the IETF draft "The Idempotency-Key HTTP Header Field"): two requests
sent at once with the same key do not both run (the second gets 409 "in progress"), the
same key with another body is a 422, a finished one is replayed; the API's rows are pruned
by the worker after their retention."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client

from relance import clock
from relance.api import guard, keys, retention
from relance.api.models import ApiWrite, IdempotentResponse, RateWindow
from relance.people import candidates as profiles
from relance.people.models import Candidate, Organisation, Recruiter

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BODY = {"first_name": "Léa", "source": "linkedin", "email": "lea@example.com"}


def _setup():
    org = Organisation.objects.create(name="Agence", slug="agence")
    admin = Recruiter.objects.create_user(
        email="ada@agence.example", organisation=org, role=Recruiter.Role.ADMIN
    )
    return org, admin, keys.create(org, "ATS", "write", admin, NOW)[1]


def _post(token: str, body=BODY, idempotency="k1"):
    return Client().post(
        "/api/v1/candidates", data=json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=idempotency,
        HTTP_ACCEPT_LANGUAGE="fr",
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_do_not_both_run(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    _org, _admin, token = _setup()
    started, release = threading.Event(), threading.Event()
    create = profiles.create

    def slow_create(*args, **kwargs):
        started.set()
        assert release.wait(10)  # bounded: the test fails rather than hangs
        return create(*args, **kwargs)

    monkeypatch.setattr(profiles, "create", slow_create)
    answers = {}

    def first():
        try:
            answers["first"] = _post(token)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert started.wait(10)
        # The first request is running, on another connection: the same key now is a 409.
        second = _post(token)
        assert second.status_code == 409
        assert second["Content-Type"] == "application/problem+json"
        assert second.json()["type"].endswith("/idempotency_request_in_progress")
        assert second.json()["errors"][0]["field"] == "Idempotency-Key"
        assert "cours" in second.json()["title"]  # in the reader's language
        assert second["Retry-After"] == "1"
        # Another body with the same key, meanwhile: 422, as for a finished request.
        other = _post(token, {**BODY, "first_name": "Léo"})
        assert other.status_code == 422
    finally:
        release.set()
        thread.join(10)
    assert answers["first"].status_code == 201
    assert Candidate.objects.count() == 1  # the second request did not run
    again = _post(token)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == answers["first"].json()


@pytest.mark.django_db
def test_a_server_fault_frees_the_key_and_a_dead_claim_is_taken_over(monkeypatch):
    at = [NOW]
    monkeypatch.setattr(clock, "now", lambda: at[0])
    _org, _admin, token = _setup()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(profiles, "create", broken)
        with pytest.raises(RuntimeError):
            _post(token)
    assert not IdempotentResponse.objects.exists()  # freed: a retry may run
    # A claim left by a process that died while running its request.
    key = IdempotentResponse.objects.model._meta.get_field("key").related_model.objects.get()
    IdempotentResponse.objects.create(
        key=key, token="k1", request_digest=guard._request_digest(_request(BODY)),
        status=guard.IN_PROGRESS, content_type="", body=b"", created_at=NOW,
    )  # fmt: skip
    assert _post(token).status_code == 409  # still young: perhaps still running
    at[0] = NOW + guard.STALE_CLAIM + timedelta(seconds=1)
    assert _post(token).status_code == 201  # taken over
    assert Candidate.objects.count() == 1


def _request(body):
    from django.test import RequestFactory

    return RequestFactory().post(
        "/api/v1/candidates", data=json.dumps(body), content_type="application/json"
    )


@pytest.mark.django_db
def test_the_worker_prunes_the_api_rows_after_their_retention(monkeypatch):
    from relance.worker import Worker

    _org, _admin, token = _setup()
    key = keys.find(token, NOW)
    old, young = NOW - timedelta(days=91), NOW - timedelta(days=89)
    ApiWrite.objects.create(key=key, at=old, method="POST", path="/api/v1/x", status=201)
    kept_write = ApiWrite.objects.create(
        key=key, at=young, method="POST", path="/api/v1/x", status=201
    )
    for token_, at in (("old", NOW - timedelta(hours=25)), ("new", NOW - timedelta(hours=23))):
        IdempotentResponse.objects.create(
            key=key, token=token_, request_digest="d", status=201, content_type="x", body=b"",
            created_at=at,
        )  # fmt: skip
    RateWindow.objects.create(key=key, start=NOW - timedelta(minutes=5), count=3)
    assert retention.prune(NOW) == {"idempotency": 1, "writes": 1, "rate_windows": 1}
    assert list(ApiWrite.objects.all()) == [kept_write]
    assert list(IdempotentResponse.objects.values_list("token", flat=True)) == ["new"]
    # The worker does it in its hourly housekeeping.
    ApiWrite.objects.create(key=key, at=old, method="POST", path="/api/v1/x", status=201)
    report = Worker(clock=lambda: NOW).cycle()
    assert report.pruned == 1
    assert list(ApiWrite.objects.all()) == [kept_write]
