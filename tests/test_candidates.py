"""Candidates created and edited in the web app (people/candidates.py), the list's orders,
pages and total (web/listing.py), one-click stars and tags, and bulk actions on a selection
(pools/bulk.py): every field checked with a message naming it, nothing half-saved, every
change in the audit log, another organisation's candidates out of reach."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from relance.followups.models import Thread, Touchpoint
from relance.people import candidates as profiles
from relance.people import rights
from relance.people.models import Application, AuditEntry, Candidate, Job, Recruiter
from relance.pools.models import Pool, PoolMember
from relance.web import listing
from relance.web.views import candidates as view
from tests import web_world
from tests.web_world import NOW, T0

pytestmark = pytest.mark.django_db

FULL = {
    "first_name": " Élodie ", "last_name": "Lefèvre", "email": "Elodie.Lefevre@Example.ORG",
    "phone": "+33 6 11 22 33 44", "linkedin_url": "fr.linkedin.com/in/Elodie-Lefevre/?trk=x",
    "language": "en", "timezone": "america/montreal", "country": "ca", "source": "referral",
    "stars": "2", "tags": "Java, Remote ,java", "skills": "Kotlin, Spring Boot\nSQL",
    "years_experience": "7", "seniority": "senior", "desired_role": "Lead développeuse",
    "location": "Montréal", "interests": "DDD, mentoring", "preferred_channel": "email",
    "hook": "votre talk sur Kotlin à Devoxx",
}  # fmt: skip


def body(response) -> str:
    return html.unescape(response.content.decode())


def audits(person, **detail):
    rows = AuditEntry.objects.filter(candidate_id=person.pk, action=AuditEntry.Action.CHANGED)
    return [a for a in rows.order_by("pk") if all(a.detail.get(k) == v for k, v in detail.items())]


# --- the profile: create, validate, edit -------------------------------------------------


def test_it_creates_a_candidate_with_every_field_normalised(world):
    with translation.override("en"):
        person = profiles.create(world.org, FULL, world.admin, NOW)
    person.refresh_from_db()
    assert (person.first_name, person.last_name) == ("Élodie", "Lefèvre")
    assert person.email == "Elodie.Lefevre@example.org"  # the domain in lower case
    assert person.phone == "+33611223344"
    assert person.linkedin_url == "https://www.linkedin.com/in/elodie-lefevre"
    assert (person.language, person.timezone, person.country) == ("en", "America/Montreal", "CA")
    assert (person.source, person.stars, person.seniority) == ("referral", 2, "senior")
    assert person.tags == ["java", "remote"]
    assert person.skills == ["Kotlin", "Spring Boot", "SQL"]
    assert person.interests == ["DDD", "mentoring"]
    assert person.years_experience == 7
    assert person.preferred_channel == "email"
    assert person.owner == world.admin  # whoever adds them, unless another is named
    assert person.created_at == NOW
    assert person.search_key == "lefevre elodie elodie.lefevre@example.org"
    [entry] = audits(person, created=True)
    assert entry.actor == world.admin
    assert {"email", "phone", "linkedin_url", "stars", "tags"} <= set(entry.detail["fields"])
    assert entry.detail["values"]["stars"] == [None, 2]
    text = json.dumps(entry.detail)
    for secret in ("Elodie", "Lefèvre", "example.org", "linkedin.com", "+336", "Kotlin"):
        assert secret not in text, secret  # never a name, a contact detail or free text


def test_a_phone_without_its_country_code_is_read_in_the_candidates_country(world):
    french = profiles.create(world.org, {**FULL, "email": "a@x.fr", "country": "FR",
                                         "phone": "06 11 22 33 44"}, world.admin, NOW)  # fmt: skip
    assert french.phone == "+33611223344"
    canadian = profiles.create(
        world.org, {**FULL, "email": "b@x.fr", "phone": "514 555 0123"}, world.admin, NOW
    )
    assert canadian.phone == "+15145550123"


def test_the_organisations_language_zone_and_country_are_the_defaults(world):
    world.org.language, world.org.timezone, world.org.country = "en", "Europe/London", "GB"
    world.org.save()
    person = profiles.create(
        world.org, {"first_name": "Sam", "email": "sam@example.org", "source": "event"},
        world.admin, NOW,
    )  # fmt: skip
    assert (person.language, person.timezone, person.country) == ("en", "Europe/London", "GB")
    assert (person.stars, person.tags, person.years_experience) == (0, [], None)


BAD = [
    ("phone", "12", "“12” is not a phone number"),
    ("phone", "01 23 45 67 89 poste 4", "is not a phone number"),
    ("linkedin_url", "https://www.linkedin.com/company/acme", "not the address of a LinkedIn profile"),
    ("email", "marie@", "is not an e-mail address"),
    ("timezone", "Europe/Pariss", "“Europe/Pariss” is not a time zone: expected an IANA name"),
    ("country", "XX", "expected a two-letter code (ISO 3166)"),
    ("stars", "4", "“4”: expected a whole number from 0 to 3."),
    ("stars", "-1", "expected a whole number from 0 to 3."),
    ("years_experience", "two", "expected a whole number of years from 0 to 70"),
    ("years_experience", "200", "from 0 to 70"),
    ("seniority", "guru", "“guru”: expected one of junior, intermediate, senior, lead, executive."),
    ("language", "de", "“de”: expected one of fr, en."),
    ("source", "fax", "“fax”: expected one of linkedin"),
    ("source", "", "required"),
    ("preferred_channel", "pigeon", "“pigeon”: expected one of email, sms, linkedin, phone."),
    ("first_name", "  ", "required"),
    ("hook", "x" * 301, "301 characters: at most 300."),
    ("tags", 'java, c"est', "neither a comma nor a double quote"),
    ("tags", "x" * 41, "a tag has at most 40"),
    ("skills", "y" * 61, "61 characters: at most 60."),
    ("owner", "999999", "is not a recruiter of your organisation"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value", "said"), BAD, ids=[f"{b[0]}={b[1][:12]}" for b in BAD])
def test_each_field_is_checked_and_nothing_is_created(world, name, value, said):
    before = Candidate.objects.count(), AuditEntry.objects.count()
    with translation.override("en"), pytest.raises(profiles.CandidateInvalid) as refused:
        profiles.create(world.org, {**FULL, name: value}, world.admin, NOW)
    assert set(refused.value.problems) == {name}
    assert said in refused.value.problems[name]
    assert str(profiles.FIELD_NAMES[name]) in refused.value.describe()
    assert (Candidate.objects.count(), AuditEntry.objects.count()) == before


def test_another_organisations_recruiter_cannot_be_the_owner(world):
    with pytest.raises(profiles.CandidateInvalid) as refused:
        profiles.create(world.org, {**FULL, "owner": str(world.stranger.pk)}, world.admin, NOW)
    assert set(refused.value.problems) == {"owner"}


def test_every_problem_is_named_at_once(world):
    with translation.override("fr"), pytest.raises(profiles.CandidateInvalid) as refused:
        profiles.create(world.org, {**FULL, "phone": "12", "stars": "4", "timezone": "Mars/Base"},
                        world.admin, NOW)  # fmt: skip
    assert list(refused.value.problems) == ["phone", "timezone", "stars"]
    with translation.override("fr"):  # the labels are read when described
        said = refused.value.describe()
    assert "Téléphone : " in said or "Téléphone: " in said
    assert "n'est pas un numéro de téléphone" in said


def test_someone_with_no_way_to_reach_them_is_refused(world):
    with translation.override("en"), pytest.raises(profiles.CandidateInvalid) as refused:
        profiles.create(world.org, {"first_name": "Nobody", "source": "event"}, world.admin, NOW)
    assert "at least one way to reach them" in refused.value.problems["email"]


def test_a_duplicate_email_in_the_organisation_is_refused_with_the_person(world):
    with translation.override("en"), pytest.raises(profiles.CandidateInvalid) as refused:
        profiles.create(world.org, {**FULL, "email": "LEA@EXAMPLE.org"}, world.admin, NOW)
    assert refused.value.duplicate == world.lea
    assert "already the address of Léa Martin" in refused.value.problems["email"]
    # Another organisation may know the same person: theirs, not ours.
    profiles.create(world.org, {**FULL, "email": "ghost@example.org"}, world.admin, NOW)
    # Keeping one's own address is not a duplicate.
    change = profiles.update(world.lea, {"email": "Lea@example.org"}, world.admin, NOW)
    assert change.fields == ["email"]


def test_an_edit_is_all_or_nothing_and_the_audit_names_fields_not_contact_values(world):
    lea = world.lea
    owner = Candidate.objects.get(pk=lea.pk).owner_id  # the first message made Claire owner
    with pytest.raises(profiles.CandidateInvalid):
        profiles.update(lea, {"stars": "3", "phone": "12"}, world.admin, NOW)
    lea.refresh_from_db()
    assert (lea.stars, lea.phone) == (0, "")
    assert audits(lea) == []
    change = profiles.update(
        lea, {"stars": "3", "phone": "+33 6 98 76 54 32", "email": "lea.martin@example.org",
              "owner": str(world.recruiter.pk), "hook": "Devoxx"},
        world.recruiter, NOW, via="form",
    )  # fmt: skip
    assert sorted(change.fields) == ["email", "hook", "owner", "phone", "stars"]
    lea.refresh_from_db()
    assert (lea.stars, lea.phone, lea.owner) == (3, "+33698765432", world.recruiter)
    assert lea.search_key.endswith("lea.martin@example.org")
    [entry] = audits(lea, via="form")
    assert entry.actor == world.recruiter
    assert sorted(entry.detail["fields"]) == sorted(change.fields)
    assert entry.detail["values"] == {"stars": [0, 3], "owner": [owner, world.recruiter.pk]}
    text = json.dumps(entry.detail)
    assert "lea.martin" not in text
    assert "98 76" not in text
    assert "+336" not in text
    assert "Devoxx" not in text
    # The same values again: nothing changes, nothing is written.
    again = profiles.update(lea, {"stars": "3", "phone": "06 98 76 54 32"}, world.admin, NOW)
    assert not again
    assert len(audits(lea)) == 1


def test_an_address_of_an_erased_person_is_marked_do_not_contact(world):
    rights.erase(world.paul, world.admin, NOW)
    person = profiles.create(world.org, {**FULL, "email": "Paul@Example.org"}, world.admin, NOW)
    assert person.do_not_contact_at == NOW
    assert Candidate.objects.get(pk=person.pk).do_not_contact_at == NOW


def test_an_anonymised_person_cannot_be_edited(world):
    rights.anonymise(world.paul, NOW)
    with translation.override("en"), pytest.raises(profiles.CandidateInvalid) as refused:
        profiles.update(world.paul, {"stars": "2"}, world.admin, NOW)
    assert "anonymised" in refused.value.describe()


def test_tags_are_added_and_removed_normalised(world):
    change = profiles.change_tags(world.lea, world.admin, NOW, add=["  Java ", "REMOTE"],
                                  via="page")  # fmt: skip
    assert change.fields == ["tags"]
    assert Candidate.objects.get(pk=world.lea.pk).tags == ["java", "remote"]
    assert not profiles.change_tags(world.lea, world.admin, NOW, add=["java"], via="page")
    profiles.change_tags(world.lea, world.admin, NOW, remove=["Java"], via="page")
    assert Candidate.objects.get(pk=world.lea.pk).tags == ["remote"]
    assert [a.detail["via"] for a in audits(world.lea)] == ["page", "page"]


# --- the pages ---------------------------------------------------------------------------


def test_the_new_candidate_page_creates_one_in_french(client_of, world):
    client = client_of(world.recruiter, "fr")
    form = client.get(reverse("web:candidate_new")).content.decode()
    assert "Ajouter un candidat" in form
    assert 'value="Europe/Paris"' in form  # the organisation's zone, ready
    response = client.post(reverse("web:candidate_new"), FULL)
    person = Candidate.objects.get(email="Elodie.Lefevre@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:candidate", args=[person.pk])
    assert person.owner == world.recruiter
    page = body(client.get(response["Location"]))
    assert "Candidat ajouté." in page
    assert ">06 11 22 33 44</a>" in page  # a French number, for a French agency


def test_a_bad_value_comes_back_with_its_field_and_nothing_is_saved(client_of, world):
    client = client_of(world.admin, "fr")
    before = Candidate.objects.count()
    response = client.post(reverse("web:candidate_new"), {**FULL, "phone": "12", "stars": "4"})
    assert response.status_code == 400
    page = body(response)
    assert "Rien n'a été enregistré" in page
    assert '<a href="#f-phone">Téléphone</a>' in page
    assert 'id="f-phone"' in page
    assert 'aria-invalid="true"' in page
    assert "n'est pas un numéro de téléphone" in page
    assert 'value="Lefèvre"' in page  # what was typed is kept
    assert Candidate.objects.count() == before


def test_a_duplicate_links_to_the_person_who_has_the_address(client_of, world):
    client = client_of(world.admin)
    response = client.post(reverse("web:candidate_new"), {**FULL, "email": "lea@example.org"})
    assert response.status_code == 400
    page = body(response)
    assert f'href="/candidates/{world.lea.pk}/" data-testid="duplicate"' in page


def test_the_edit_page_shows_the_phone_as_dialled_and_saves_what_changed(client_of, world):
    client = client_of(world.admin)
    url = reverse("web:candidate_edit", args=[world.paul.pk])
    form = client.get(url).content.decode()
    assert 'value="06 12 34 56 78"' in form  # +33612345678, a French agency
    fields = re.findall(r'name="(\w+)"', form)
    assert set(profiles.FIELDS) <= set(fields)
    posted = {name: value for name, value in FULL.items() if name != "email"}
    posted.update(first_name="Paul", last_name="Martin", email="paul@example.org",
                  phone="06 12 34 56 78", owner="")  # fmt: skip
    response = client.post(url, posted)
    assert response.status_code == 302, body(response)
    paul = Candidate.objects.get(pk=world.paul.pk)
    assert paul.phone == "+33612345678"
    assert paul.owner is None
    [entry] = audits(paul, via="form")
    assert "phone" not in entry.detail["fields"]  # the same number, however it was typed
    page = body(client.get(reverse("web:candidate", args=[paul.pk])))
    assert "Saved:" in page
    assert '<a href="tel:+33612345678" data-testid="phone">06 12 34 56 78</a>' in page


def test_stars_in_one_click_from_the_list_and_the_page(client_of, world):
    client = client_of(world.admin)
    back = reverse("web:candidates") + "?source=linkedin"
    url = reverse("web:candidate_stars", args=[world.lea.pk])
    response = client.post(url, {"stars": "3", "next": back})
    assert response.status_code == 302
    assert response["Location"] == back + f"#rating-{world.lea.pk}"
    assert Candidate.objects.get(pk=world.lea.pk).stars == 3
    # With htmx, the stars come back in place; clicking the third star again removes them.
    partial = client.post(url, {"stars": "0", "next": back}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    text = partial.content.decode()
    assert text.startswith('<form class="rating"')
    assert f'hx-post="/candidates/{world.lea.pk}/stars/"' in text
    assert f'<input type="hidden" name="next" value="{back}">' in text
    assert "☆☆☆" in re.sub(r"<[^>]+>", "", text)
    assert Candidate.objects.get(pk=world.lea.pk).stars == 0
    # A hand-made value or another site to go back to.
    assert client.post(url, {"stars": "5"}).status_code == 400
    elsewhere = client.post(url, {"stars": "1", "next": "https://evil.example/"})
    assert elsewhere["Location"] == reverse("web:candidate", args=[world.lea.pk]) + (
        f"#rating-{world.lea.pk}"
    )
    assert [a.detail["via"] for a in audits(world.lea)] == ["list", "list", "page"]


def test_the_list_offers_one_click_stars_and_a_selection(client_of, world):
    page = client_of(world.admin, "fr").get(reverse("web:candidates")).content.decode()
    assert f'action="/candidates/{world.lea.pk}/stars/"' in page
    assert 'aria-label="Donner 2 étoiles"' in page
    assert f'name="ids" value="{world.lea.pk}" form="bulk"' in page
    assert 'name="action" value="tag_add"' in page


def test_tags_from_the_candidate_page(client_of, world):
    client = client_of(world.admin)
    url = reverse("web:candidate_tags", args=[world.lea.pk])
    client.post(url, {"add": "Java, Kotlin"})
    assert Candidate.objects.get(pk=world.lea.pk).tags == ["java", "kotlin"]
    client.post(url, {"remove": "java"})
    assert Candidate.objects.get(pk=world.lea.pk).tags == ["kotlin"]
    refused = client.post(url, {"add": 'c"est'}, follow=True)
    assert "Not done" in body(refused)
    assert Candidate.objects.get(pk=world.lea.pk).tags == ["kotlin"]


# --- the list: columns, orders, pages, total ----------------------------------------------


def test_the_list_shows_each_persons_most_advanced_active_application(client_of, world):
    other = Job.objects.create(organisation=world.org, title="Data Engineer", created_at=T0)
    third = Job.objects.create(organisation=world.org, title="Ops", created_at=T0)
    for job, stage in ((other, "interview"), (third, "hired")):
        Application.objects.create(organisation=world.org, candidate=world.paul, job=job,
                                   stage=stage, stage_changed_at=T0)  # fmt: skip
    page = client_of(world.admin).get(reverse("web:candidates")).content.decode()
    row = re.search(rf'<tr id="c-{world.paul.pk}">(.*?)</tr>', page, re.S).group(1)
    assert ">Interview<" in row
    assert "Data Engineer" in row
    assert "Ops" not in row  # hired: not active
    lea = re.search(rf'<tr id="c-{world.lea.pk}">(.*?)</tr>', page, re.S).group(1)
    assert "Développeur Java" in lea
    assert "Contacted" in lea


def people(org, n=0):
    """Candidates with names, stars and last contacts that tie and miss on purpose."""
    made = []
    names = ["Zoé", "Adam", "Éric", "adam", "Yves", "Bea", "Chloé", "Adam"]
    for i, first in enumerate(names * (1 + n)):
        made.append(web_world._candidate(
            org, first, f"p{i}@example.org", stars=i % 4,
            last_contact_at=None if i % 3 == 0 else NOW - timedelta(days=i % 5),
        ))  # fmt: skip
    return made


def walk(client, query):
    """Every row of the list in order, following the next links; the number of pages."""
    shown, url, pages = [], reverse("web:candidates") + query, 0
    while url:
        page = client.get(url)
        assert page.status_code == 200, body(page)
        text = page.content.decode()
        shown += [int(i) for i in re.findall(r'<tr id="c-(\d+)">', text)]
        found = re.search(r'href="(\?[^"]*)" rel="next"', text)
        url = reverse("web:candidates") + html.unescape(found.group(1)) if found else None
        pages += 1
        assert pages < 100
    return shown, pages


def expected(org, sort, where=lambda c: True):
    rows = [c for c in Candidate.objects.of(org) if where(c)]
    keys = {
        "newest": lambda c: -c.pk,
        "name": lambda c: (c.search_key, c.pk),
        "stars": lambda c: (-c.stars, -c.pk),
        "contact": lambda c: (c.last_contact_at is None,
                              -(c.last_contact_at.timestamp() if c.last_contact_at else 0), -c.pk),
    }  # fmt: skip
    return [c.pk for c in sorted(rows, key=keys[sort])]


@pytest.mark.parametrize("sort", listing.SORTS)
def test_each_order_pages_through_everyone_once_in_order(client_of, world, monkeypatch, sort):
    people(world.org, 2)
    monkeypatch.setattr(listing, "PAGE", 4)
    shown, pages = walk(client_of(world.admin), f"?sort={sort}")
    assert shown == expected(world.org, sort)
    assert pages >= 6


@pytest.mark.parametrize("sort", listing.SORTS)
def test_a_filtered_order_reads_a_bounded_window_and_still_finds_everyone(
    client_of, world, monkeypatch, sort
):
    people(world.org, 3)
    monkeypatch.setattr(listing, "PAGE", 3)
    monkeypatch.setattr(view, "WINDOW", 5)
    shown, pages = walk(client_of(world.admin), f"?sort={sort}&stars=2")
    assert shown == expected(world.org, sort, lambda c: c.stars >= 2)
    assert pages > len(shown) / 3  # the windows ended pages early: "search further"


def test_a_cursor_that_does_not_fit_its_order_is_refused(client_of, world):
    client = client_of(world.admin)
    for query, said in (
        ("?sort=stars&key=9&after=3", "key='9'"),
        ("?sort=contact&key=yesterday&after=3", "key='yesterday'"),
        ("?sort=name&after=x", "after='x': expected a whole number"),
        ("?sort=salary", "sort='salary': expected one of newest, name, stars, contact"),
    ):
        response = client.get(reverse("web:candidates") + query)
        assert response.status_code == 400, query
        assert said in body(response), query


def test_the_total_is_exact_for_a_small_organisation(client_of, world):
    people(world.org)
    client = client_of(world.admin)
    total = lambda q: re.search(r'data-testid="total">(.*?)<', client.get(  # noqa: E731
        reverse("web:candidates") + q).content.decode()).group(1)  # fmt: skip
    assert total("") == "10 candidates"
    assert total("?stars=3") == "2 candidates"
    fr = client_of(world.admin, "fr").get(reverse("web:candidates") + "?tag=none")
    assert re.search(r'data-testid="total">0 candidat<', fr.content.decode())


def test_the_total_of_a_large_organisation_is_estimated_from_a_sample(
    client_of, world, monkeypatch, django_assert_max_num_queries
):
    made = people(world.org, 4)  # 40 more
    monkeypatch.setattr(listing, "SLICES", 4)
    monkeypatch.setattr(listing, "SLICE", 3)
    monkeypatch.setattr(listing, "PAGE", 5)
    client = client_of(world.admin)
    ids = sorted(c.pk for c in Candidate.objects.of(world.org))
    low, high = ids[0], ids[-1]
    span, step = high - low + 1, (high - low + 1) // 4
    sampled = {p for i in range(4) for p in range(low + i * step + (step - 3) // 2,
                                                   low + i * step + (step - 3) // 2 + 3)}  # fmt: skip
    stars = {c.pk for c in made if c.stars >= 1}
    estimate = round(len(sampled & stars) * span / 12)
    with django_assert_max_num_queries(9):
        page = client.get(reverse("web:candidates") + "?stars=1").content.decode()
    said = re.search(r'data-testid="total">(.*?)<', page).group(1)
    assert said == f"about {estimate} candidates"
    assert len(stars) * 0.5 <= estimate <= len(stars) * 1.5


# --- bulk actions ------------------------------------------------------------------------


def bulk(client, ids, **data):
    return client.post(reverse("web:candidates_bulk"), {"ids": [str(i) for i in ids], **data})


def outcomes(response):
    text = body(response)
    rows = re.findall(
        r'<tr class="outcome (\w+)" data-testid="outcome"><td><a href="/candidates/(\d+)/"', text
    )
    return {int(pk): status for status, pk in rows}


def test_a_tag_on_a_selection_reports_per_person_and_a_refusal_stops_no_one(client_of, world):
    gone = web_world._candidate(world.org, "Gone", "gone@example.org")
    rights.anonymise(gone, NOW)
    world.paul.tags = ["java"]
    world.paul.save(update_fields=["tags"])
    client = client_of(world.admin)
    response = bulk(client, [world.lea.pk, gone.pk, world.paul.pk], action="tag_add", tag=" Java ")
    assert response.status_code == 200
    assert outcomes(response) == {
        world.lea.pk: "done",
        gone.pk: "refused",
        world.paul.pk: "unchanged",
    }
    assert "1 done · 1 unchanged · 1 refused" in body(response)
    assert Candidate.objects.get(pk=world.lea.pk).tags == ["java"]
    assert [a.detail["via"] for a in audits(world.lea)] == ["bulk"]
    response = bulk(client, [world.lea.pk, world.paul.pk], action="tag_remove", tag="JAVA")
    assert set(outcomes(response).values()) == {"done"}
    assert Candidate.objects.get(pk=world.paul.pk).tags == []
    assert bulk(client, [world.lea.pk], action="tag_add", tag='a"b').status_code == 400


def test_an_owner_and_a_pool_for_a_selection(client_of, world):
    client = client_of(world.admin)
    response = bulk(client, [world.lea.pk, world.paul.pk], action="owner", owner=world.recruiter.pk)
    assert set(outcomes(response).values()) == {"done"}
    assert {c.owner_id for c in Candidate.objects.filter(pk__in=[world.lea.pk, world.paul.pk])} == {
        world.recruiter.pk
    }
    pool = Pool.objects.create(organisation=world.org, name="Java", created_at=T0)
    PoolMember.objects.create(organisation=world.org, pool=pool, candidate=world.paul, added_at=T0)
    response = bulk(client, [world.lea.pk, world.paul.pk], action="pool", pool=pool.pk)
    assert outcomes(response) == {world.lea.pk: "done", world.paul.pk: "unchanged"}
    assert PoolMember.objects.filter(pool=pool).count() == 2
    assert audits(world.lea, pool=pool.pk)


def test_do_not_contact_for_a_selection_needs_a_confirmation(client_of, world):
    client = client_of(world.admin)
    response = bulk(client, [world.lea.pk, world.paul.pk], action="do_not_contact")
    assert response.status_code == 302
    assert Candidate.objects.filter(do_not_contact_at__isnull=False).count() == 0
    response = bulk(client, [world.lea.pk, world.paul.pk], action="do_not_contact", sure="1")
    assert set(outcomes(response).values()) == {"done"}
    assert not Thread.objects.filter(candidate__in=[world.lea, world.paul], status="open").exists()
    assert audits(world.paul, do_not_contact=True, via="bulk")


def test_a_follow_up_for_a_selection_asks_to_confirm_one_voice_and_starts_the_others(
    client_of, world
):
    marc = client_of(world.recruiter)  # Claire follows Léa up
    new = [web_world._candidate(world.org, f"N{i}", f"n{i}@example.org") for i in range(2)]
    mute = web_world._candidate(world.org, "Mute", "")
    mute.phone = "+33611111111"
    mute.save(update_fields=["phone"])
    ids = [world.lea.pk, new[0].pk, mute.pk, new[1].pk]
    response = bulk(marc, ids, action="follow_up", plan="first_message:email", how="send")
    assert outcomes(response) == {world.lea.pk: "confirm", new[0].pk: "done", mute.pk: "refused",
                                  new[1].pk: "done"}  # fmt: skip
    text = body(response)
    assert "Claire Dubois already follows this person up." in text
    assert "no e-mail address" in text
    for person in new:  # the same door as the candidate page: Relance sends the first e-mail
        thread = Thread.objects.get(candidate=person, recruiter=world.recruiter)
        assert (thread.situation, thread.status, thread.next_channel) == (
            "first_message",
            "open",
            "email",
        )
        assert audits(person, follow_up="first_message", via="bulk")
    assert not Thread.objects.filter(candidate=world.lea, recruiter=world.recruiter).exists()
    assert not audits(world.lea)
    assert not audits(mute)
    # The confirmation form lists Léa only; confirming starts hers.
    form = re.search(r'<section class="card" id="confirm">(.*?)</section>', text, re.S).group(1)
    assert re.findall(r'name="ids" value="(\d+)"', form) == [str(world.lea.pk)]
    again = bulk(marc, [world.lea.pk], action="follow_up", plan="first_message:email",
                 how="send", confirmed="1")  # fmt: skip
    assert outcomes(again) == {world.lea.pk: "done"}
    assert Thread.objects.get(candidate=world.lea, recruiter=world.recruiter).status == "open"
    # A second start for the same people is refused, not sent twice.
    twice = bulk(marc, [new[0].pk], action="follow_up", plan="first_message:email", how="send")
    assert outcomes(twice) == {new[0].pk: "refused"}
    assert Thread.objects.filter(candidate=new[0]).count() == 1


def test_a_follow_up_sent_from_ones_own_mailbox_is_recorded(client_of, world):
    person = web_world._candidate(world.org, "Own", "own@example.org")
    response = bulk(client_of(world.admin), [person.pk], action="follow_up",
                    plan="first_message:email", how="sent")  # fmt: skip
    assert outcomes(response) == {person.pk: "done"}
    touch = Touchpoint.objects.get(candidate=person, kind="message")
    assert (touch.direction, touch.channel, touch.step) == ("out", "email", 0)


def test_bad_bulk_requests_are_named(client_of, world):
    client = client_of(world.admin)
    for data, said in (
        ({"action": "explode"}, "action='explode'"),
        ({"action": "follow_up", "plan": "first_message:fax"}, "plan='first_message:fax'"),
        ({"action": "pool", "pool": "x"}, "pool='x'"),
    ):
        response = bulk(client, [world.lea.pk], **data)
        assert response.status_code == 400
        assert said in body(response)
    assert bulk(client, [], action="tag_add", tag="x").status_code == 302
    ids = client.post(reverse("web:candidates_bulk"), {"ids": ["1x"], "action": "owner"})
    assert ids.status_code == 400


# --- another organisation ----------------------------------------------------------------


def test_another_organisation_gets_404_on_every_new_page_and_action(client_of, world):
    client = client_of(world.stranger)
    lea = world.lea.pk
    assert client.get(reverse("web:candidate_edit", args=[lea])).status_code == 404
    for url, data in (
        (reverse("web:candidate_edit", args=[lea]), {**FULL, "email": "x@example.org"}),
        (reverse("web:candidate_stars", args=[lea]), {"stars": "3"}),
        (reverse("web:candidate_tags", args=[lea]), {"add": "stolen"}),
    ):
        assert client.post(url, data).status_code == 404, url
    # A selection holding one of ours, even beside one of theirs: nothing is done.
    for data in ({"action": "tag_add", "tag": "stolen"}, {"action": "do_not_contact", "sure": "1"},
                 {"action": "follow_up", "plan": "first_message:linkedin"}):  # fmt: skip
        assert bulk(client, [world.other_candidate.pk, lea], **data).status_code == 404
    lea_now = Candidate.objects.get(pk=lea)
    assert (lea_now.stars, lea_now.tags, lea_now.do_not_contact_at) == (0, [], None)
    assert Candidate.objects.get(pk=world.other_candidate.pk).tags == []
    assert not AuditEntry.objects.filter(candidate_id=lea).exclude(action="viewed").exists()
    # Our pool or recruiter given to a bulk action on their own candidate.
    pool = Pool.objects.create(organisation=world.org, name="Ours", created_at=T0)
    assert bulk(client, [world.other_candidate.pk], action="pool", pool=pool.pk).status_code == 404
    assert bulk(client, [world.other_candidate.pk], action="owner",
                owner=world.admin.pk).status_code == 404  # fmt: skip
    # Creating one lands in their organisation, never ours; ours are not duplicates there.
    client.post(reverse("web:candidate_new"), {**FULL, "email": "lea@example.org"})
    made = Candidate.objects.get(email="lea@example.org", organisation=world.stranger.organisation)
    assert made.owner == world.stranger
    assert not Recruiter.objects.filter(pk=world.stranger.pk, organisation=world.org).exists()
