"""The API's candidate list filtered by a tag: the same query as the list page's filter
(people/candidates.with_tag), any case, a tag with accents on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from relance.api import keys
from relance.people.models import Candidate, Organisation, Recruiter

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_the_candidates_list_filters_by_tag_like_the_page(client_of):
    org = Organisation.objects.create(name="Agence", slug="agence")
    other = Organisation.objects.create(name="Autre", slug="autre")
    admin = Recruiter.objects.create_user(
        email="ada@agence.example", organisation=org, role=Recruiter.Role.ADMIN
    )
    token = keys.create(org, "ATS", "read", admin, NOW)[1]

    def person(organisation, name, tags):
        return Candidate.objects.create(
            organisation=organisation, first_name=name, tags=tags, created_at=NOW
        ).pk

    java = person(org, "Léa", ["java", "développeur"])
    accents = person(org, "Paul", ["développeur"])
    person(org, "Zoé", ["javascript"])  # a longer tag: not "java"
    person(other, "Ghost", ["java"])  # another organisation's

    def listed(tag):
        answer = Client().get(
            "/api/v1/candidates", {"tag": tag}, HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert answer.status_code == 200, answer.content
        return sorted(c["id"] for c in answer.json()["items"])

    assert listed("java") == [java]
    assert listed("JAVA") == [java]
    assert listed("développeur") == sorted([java, accents])
    assert listed("nothing") == []
    # The page's filter gives the same people (one query for both doors).
    page = client_of(admin).get("/candidates/", {"tag": "développeur"}).content.decode()
    assert "Léa" in page
    assert "Paul" in page
    assert "Zoé" not in page
    too_long = Client().get(
        "/api/v1/candidates", {"tag": "x" * 41}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "tag"
