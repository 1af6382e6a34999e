"""Exact identity (people/identity.py): the same person by e-mail whatever its case, by
LinkedIn profile normalised, by phone in E.164; blank or unreadable values match nobody;
another organisation's people are never matched; a batch is one query."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relance.people import identity
from relance.people.identity import Identity
from relance.people.models import Candidate, Organisation

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def person(org, **fields):  # type: ignore[no-untyped-def]
    return Candidate.objects.create(
        organisation=org, first_name=fields.pop("first_name", "Marie"), created_at=NOW, **fields
    )


def test_it_finds_a_person_by_email_whatever_its_case(org):
    marie = person(org, email="Marie.Dupont@example.org")
    match = identity.find(org, Identity.read("MARIE.DUPONT@EXAMPLE.ORG"))
    assert match is not None
    assert (match.candidate, match.kind, match.value) == (
        marie, "email", "marie.dupont@example.org",
    )  # fmt: skip


def test_it_finds_a_person_by_linkedin_profile_normalised(org):
    marie = person(org, linkedin_url="https://www.linkedin.com/in/marie-dupont")
    found = identity.find(org, Identity.read(linkedin_url="fr.linkedin.com/in/Marie-Dupont/?trk=x"))
    assert found is not None
    assert found.candidate == marie
    assert found.kind == "linkedin_url"


def test_it_finds_a_person_by_phone_in_e164(org):
    marie = person(org, phone="+33612345678")
    found = identity.find(org, Identity.read(phone="06 12 34 56 78", country="FR"))
    assert found is not None
    assert found.candidate == marie
    assert found.kind == "phone"
    # The same digits read as a number of another country are another number.
    assert identity.find(org, Identity.read(phone="06 12 34 56 78", country="BE")) is None


def test_blank_and_unreadable_values_match_nobody(org):
    person(org, email="", phone="", linkedin_url="")
    person(org, email="x@example.org")
    assert identity.find(org, Identity.read("", "", "", "FR")) is None
    assert identity.find(org, Identity.read("not an address", "example.com/x", "12", "FR")) is None
    assert not Identity.read("", "", "")


def test_another_organisations_people_are_never_matched(org):
    other = Organisation.objects.create(name="Autre", slug="autre")
    person(other, email="marie@example.org", phone="+33612345678")
    assert identity.find(org, Identity.read("marie@example.org", phone="+33612345678")) is None


def test_the_email_wins_over_linkedin_and_phone_and_the_oldest_wins_a_tie(org):
    by_phone = person(org, first_name="A", phone="+33612345678")
    by_email = person(org, first_name="B", email="b@example.org")
    person(org, first_name="C", email="B@example.org")  # a duplicate already there
    found = identity.find(org, Identity.read("b@example.org", phone="+33612345678"))
    assert found is not None
    assert found.candidate == by_email
    assert found.kind == "email"
    found = identity.find(org, Identity.read(phone="+33612345678"))
    assert found is not None
    assert found.candidate == by_phone


def test_an_excluded_candidate_is_not_their_own_duplicate(org):
    marie = person(org, email="marie@example.org")
    assert identity.find(org, Identity.read("marie@example.org"), exclude=marie) is None


def test_an_anonymised_candidate_matches_nobody(org):
    person(org, email="marie@example.org", anonymised_at=NOW)
    assert identity.find(org, Identity.read("marie@example.org")) is None


def test_a_batch_is_one_query_and_answers_in_order(org):
    people = [person(org, email=f"p{i}@example.org") for i in range(30)]
    batch = [Identity.read(f"P{i}@example.org") for i in range(30)] + [Identity.read("new@x.org")]
    with CaptureQueriesContext(connection) as queries:
        answers = identity.find_many(org, batch)
    assert len(queries) == 1
    assert [a.candidate if a else None for a in answers] == [*people, None]


def test_several_emails_of_one_person_are_all_keys(org):
    marie = person(org, email="marie.pro@example.org")
    found = identity.find(org, Identity.read(["marie@perso.example", "Marie.Pro@example.org"]))
    assert found is not None
    assert found.candidate == marie
