"""Duplicates: the same person by a key, possibly the same by a close name in the same role
and place (near misses not), a pair dismissed never proposed again."""

from __future__ import annotations

import pytest

from relance.people import duplicates
from relance.people.models import Candidate, Organisation
from tests.web_world import NOW, T0, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build()


def person(org, first, last, **more):
    return Candidate.objects.create(
        organisation=org, first_name=first, last_name=last, created_at=T0, **more
    )


def test_it_finds_the_same_person_by_email_phone_or_profile(world):
    w = world
    by_mail = person(w.org, "L", "Martin", email="LEA@example.org")
    by_phone = person(w.org, "P", "Durand", phone="+33612345678")
    by_profile = person(w.org, "Lea", "M", linkedin_url="https://www.linkedin.com/in/lea")
    person(w.org, "Other", "One", email="someone@example.org", phone="+33699999999")
    person(w.other_candidate.organisation, "Ghost", "Copy", email="lea@example.org")
    found = {(p.first, p.second, p.reason) for p in duplicates.exact(w.org)}
    assert found == {
        (w.lea.pk, by_mail.pk, "email"),
        (w.paul.pk, by_phone.pk, "phone"),
        (w.lea.pk, by_profile.pk, "linkedin_url"),
    }


def test_it_finds_a_close_name_in_the_same_role_and_place_and_not_a_near_miss(world):
    org = world.org
    role = {"desired_role": "Développeur Java", "location": "Lyon"}
    a = person(org, "Élodie", "Lefèvre", **role)
    b = person(org, "LEFEVRE", "Elodie", desired_role="développeur java", location="LYON")
    c = person(org, "Elodie", "Lefebvre", **role)  # one letter more
    d = person(org, "Elodie", "Lefèvre", desired_role="Développeur Java", location="Nantes")
    person(org, "Eloise", "Lefort", **role)  # too far
    person(org, "Marc", "Durand", **role)
    e = person(org, "Marc", "Durant", desired_role="Data engineer", location="Lyon")
    f = person(org, "Marc", "Durand", desired_role="Data engineer", location="Lyon",
               email="marc@example.org")  # fmt: skip
    pairs, cursor = duplicates.possible(org)
    found = {(p.first, p.second) for p in pairs}
    assert found == {(a.pk, b.pk), (a.pk, c.pk), (b.pk, c.pk), (e.pk, f.pk)}
    assert cursor is None
    assert all(p.reason == "name" and not p.exact for p in pairs)
    assert d.pk not in {x for pair in found for x in pair}  # another city: not proposed
    # Pages: one block per page here, the cursor resumes after it.
    first, cursor = duplicates.possible(org, limit=1)
    assert cursor is not None
    rest, end = duplicates.possible(org, limit=1, after=cursor)
    assert end is not None
    assert {(p.first, p.second) for p in first} | {(p.first, p.second) for p in rest} == found


def test_a_pair_said_not_the_same_is_never_proposed_again(world):
    w = world
    twin = person(w.org, "Léa", "Martin", email="lea@example.org")
    assert [(p.first, p.second) for p in duplicates.exact(w.org)] == [(w.lea.pk, twin.pk)]
    duplicates.not_the_same(w.org, twin, w.lea, w.admin, NOW)
    assert duplicates.exact(w.org) == []
    with pytest.raises(ValueError, match="organisation"):
        duplicates.not_the_same(Organisation.objects.get(slug="other"), twin, w.lea, None, NOW)


def test_edit_distance():
    assert duplicates.within("martin", "martin", 0)
    assert duplicates.within("martin", "marten", 1)
    assert not duplicates.within("martin", "morten", 1)
    assert duplicates.close("elodie lefebvre", "elodie lefevre")
    assert not duplicates.close("lea", "leo martin")
    assert duplicates.name_key("Lefèvre  Élodie", "") == duplicates.name_key("elodie", "LEFEVRE")


def test_a_close_name_at_the_same_company_is_possible_and_two_companies_never_are(world):
    org = world.org
    place = {"desired_role": "Développeur Java", "location": "Lyon"}
    a = person(org, "Marie", "Martin", company="Société Générale")
    b = person(org, "MARTIN", "Marie", company="  societe   GENERALE ")
    c = person(org, "Marie", "Martinn", company="Societe Generale", email="m@example.org")
    person(org, "Marie", "Martin", company="Orange")  # a close name, another company
    d = person(org, "Paul", "Durand", company="BNP Paribas", **place)
    e = person(org, "Paul", "Durant", company="Capgemini", **place)  # same place, 2 companies
    f = person(org, "Paul", "Duran", **place)  # no company: the role and place stand in
    pairs, cursor = duplicates.possible(org)
    found = {(p.first, p.second, p.reason) for p in pairs}
    assert found == {
        (a.pk, b.pk, "company"), (a.pk, c.pk, "company"), (b.pk, c.pk, "company"),
        (d.pk, f.pk, "name"), (e.pk, f.pk, "name"),
    }  # fmt: skip
    assert cursor is None
    assert not any(p.exact for p in pairs)
    assert {p.value for p in pairs if p.reason == "company"} == {"Société Générale"}
    # Pages: the company pass, then the role-and-place pass, resumed from the cursor.
    first, cursor = duplicates.possible(org, limit=1)
    assert {p.reason for p in first} == {"company"}
    assert cursor[0] == "company"
    rest, end = duplicates.possible(org, limit=50, after=cursor)
    assert end is None
    assert {(p.first, p.second, p.reason) for p in [*first, *rest]} == found


def test_the_company_key_is_written_by_every_door():
    from relance.people.models import company_key

    assert company_key("  Société   GÉNÉRALE ") == "societe generale"
    w = build()
    one = person(w.org, "A", "B", company="Œuvre Énergie")
    assert Candidate.objects.get(pk=one.pk).company_key == "oeuvre energie"
    Candidate.objects.filter(pk=one.pk).update(company="Élan")
    assert Candidate.objects.get(pk=one.pk).company_key == "elan"
    one.refresh_from_db()
    one.company = "Ça Va"
    one.save(update_fields=["company"])
    assert Candidate.objects.get(pk=one.pk).company_key == "ca va"
    (two,) = Candidate.objects.bulk_create(
        [Candidate(organisation=w.org, first_name="C", company="Àb", created_at=T0)]
    )
    assert Candidate.objects.get(pk=two.pk).company_key == "ab"
    two.company = "Éc"
    Candidate.objects.bulk_update([two], ["company"])
    assert Candidate.objects.get(pk=two.pk).company_key == "ec"
