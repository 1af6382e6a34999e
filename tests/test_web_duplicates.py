"""The possible duplicates page: pairs with why, a merge with the record kept and each
field's value chosen, "not the same person" remembered; French and English; another
organisation's people unreachable."""

from __future__ import annotations

import pytest

from relance.people.models import AuditEntry, Candidate
from tests.web_world import T0, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = build()
    w.twin = Candidate.objects.create(
        organisation=w.org, first_name="Léa", last_name="Martin-Durand", email="LEA@example.org",
        desired_role="Tech lead", phone="+33611111111", created_at=T0,
    )  # fmt: skip
    return w


def test_the_page_lists_the_pairs_with_why_in_english_and_french(client_of, world):
    page = client_of(world.recruiter).get("/duplicates/").content.decode()
    assert "Possible duplicates" in page
    assert "Same e-mail" in page
    assert f"/duplicates/{world.lea.pk}/{world.twin.pk}/" in page
    assert "Ghost" not in page  # another organisation's
    page = client_of(world.recruiter, "fr").get("/duplicates/").content.decode()
    assert "Doublons possibles" in page
    assert "Même e-mail" in page
    assert "Pas la même personne" in page


def test_a_merge_keeps_the_chosen_record_and_the_chosen_values(client_of, world):
    client = client_of(world.recruiter)
    review = client.get(f"/duplicates/{world.lea.pk}/{world.twin.pk}/").content.decode()
    assert "Which record is kept?" in review
    assert "Last name" in review  # Martin / Martin-Durand differ
    response = client.post(
        f"/duplicates/{world.lea.pk}/{world.twin.pk}/",
        {"keep": world.twin.pk, "field_last_name": world.lea.pk,
         "field_email": world.twin.pk},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"/candidates/{world.twin.pk}/"
    assert not Candidate.objects.filter(pk=world.lea.pk).exists()
    kept = Candidate.objects.get(pk=world.twin.pk)
    assert (kept.last_name, kept.email, kept.phone) == ("Martin", "LEA@example.org", "+33611111111")
    assert kept.touchpoints.exists()  # Léa's timeline came along
    assert AuditEntry.objects.filter(candidate_id=kept.pk, actor=world.recruiter).exists()
    assert "Same e-mail" not in client.get("/duplicates/").content.decode()


def test_not_the_same_person_is_never_proposed_again(client_of, world):
    client = client_of(world.recruiter)
    url = f"/duplicates/{world.lea.pk}/{world.twin.pk}/different/"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert (
        f"/duplicates/{world.lea.pk}/{world.twin.pk}/"
        not in client.get("/duplicates/").content.decode()
    )
    assert Candidate.objects.filter(pk__in=[world.lea.pk, world.twin.pk]).count() == 2


def test_another_organisation_reaches_nothing(client_of, world):
    client = client_of(world.stranger)
    base = f"/duplicates/{world.lea.pk}/{world.twin.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(base, {"keep": world.lea.pk}).status_code == 404
    assert client.post(base + "different/").status_code == 404
    assert "Léa" not in client.get("/duplicates/").content.decode()
    mixed = f"/duplicates/{world.lea.pk}/{world.other_candidate.pk}/"
    assert client_of(world.recruiter).post(mixed, {"keep": world.lea.pk}).status_code == 404
    assert Candidate.objects.filter(pk__in=[world.lea.pk, world.twin.pk]).count() == 2
