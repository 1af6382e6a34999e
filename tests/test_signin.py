"""Signing in with the e-mail in any case, and inviting without telling an admin who has an
account in another organisation (issue 12, section 4)."""

from __future__ import annotations

import re

from django.urls import reverse

from relance.people.models import Recruiter
from tests.web_world import PASSWORD


def sign_in(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("web:login"), {"username": email, "password": password})


def test_the_e_mail_signs_in_whatever_its_case(client, world):
    response = sign_in(client, "Claire@Test.EXAMPLE")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:today")
    client.logout()
    # An account written with capitals (createsuperuser keeps the local part as typed).
    Recruiter.objects.create_user("Nina@test.example", PASSWORD, organisation=world.org)
    assert sign_in(client, "nina@TEST.example").status_code == 302
    client.logout()
    assert sign_in(client, "claire@test.example", "wrong").status_code == 200  # refused


def test_failures_count_for_the_account_whatever_the_case_it_was_typed_in(client, world):
    """Otherwise changing one letter's case would give an attacker five more tries."""
    for email in ("claire@test.example",) * 3 + ("CLAIRE@test.example",):
        assert sign_in(client, email, "wrong").status_code == 200
    assert sign_in(client, "Claire@Test.Example", "wrong").status_code == 429  # the fifth
    assert sign_in(client, "claire@TEST.example").status_code == 429  # even the right one


def _settings_page_after_inviting(client, email: str) -> str:  # type: ignore[no-untyped-def]
    """The page an admin sees after inviting `email`, with what must differ (the address,
    the link's token, the form tokens) replaced."""
    client.post(reverse("web:settings_invite"), {"email": email, "role": "recruiter"})
    page = client.get(reverse("web:settings")).content.decode()
    page = page.replace(email, "ADDRESS")
    page = re.sub(r"/join/[^<\s\"]+", "/join/TOKEN/", page)
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", page)


def test_inviting_an_address_used_elsewhere_answers_as_for_a_new_one(client_of, world):
    admin = client_of(world.admin)
    stranger = world.stranger  # an admin of another organisation has this address
    accounts = Recruiter.objects.count()
    new = _settings_page_after_inviting(admin, "nina@test.example")
    used = _settings_page_after_inviting(admin, stranger.email)
    assert "ADDRESS is invited. Send them the link below." in used
    assert "already" not in used
    assert used == new  # nothing tells the two apart
    # Inviting made no account, and the other organisation's account is untouched.
    assert Recruiter.objects.count() == accounts
    stranger.refresh_from_db()
    assert (stranger.organisation.slug, stranger.check_password(PASSWORD)) == ("other", True)


def test_the_owner_of_an_address_used_elsewhere_learns_it_from_the_link(client_of, world, client):
    admin = client_of(world.admin, "fr")
    admin.post(reverse("web:settings_invite"), {"email": "EVE@other.example", "role": "admin"})
    link = re.search(r'data-testid="invitation">http://testserver(/join/[^<]+)<',
                     admin.get(reverse("web:settings")).content.decode()).group(1)  # fmt: skip
    client.logout()
    page = client.get(link, follow=True)
    text = page.content.decode()
    assert "eve@other.example a déjà un compte Relance, dans une autre organisation" in text
    assert 'name="new_password1"' not in text
    posted = client.post(page.redirect_chain[-1][0],
                         {"new_password1": "une phrase", "new_password2": "une phrase"})  # fmt: skip
    assert posted.status_code == 200
    eve = Recruiter.objects.get(email="eve@other.example")
    assert (eve.organisation.slug, eve.role, eve.check_password(PASSWORD)) == (
        "other", Recruiter.Role.RECRUITER, True,
    )  # fmt: skip


def test_an_invited_address_is_stored_in_lower_case_and_a_colleague_is_named(
    client_of, world, client
):
    admin = client_of(world.admin)
    admin.post(
        reverse("web:settings_invite"), {"email": " Nina@Test.Example ", "role": "recruiter"}
    )
    link = re.search(r'data-testid="invitation">http://testserver(/join/[^<]+)<',
                     admin.get(reverse("web:settings")).content.decode()).group(1)  # fmt: skip
    assert not Recruiter.objects.filter(email__iexact="nina@test.example").exists()  # not yet
    client.logout()
    page = client.get(link, follow=True)
    new = {"new_password1": "une phrase de passe", "new_password2": "une phrase de passe"}
    assert client.post(page.redirect_chain[-1][0], new).status_code == 302
    nina = Recruiter.objects.get(email__iexact="nina@test.example")
    assert (nina.email, nina.organisation, nina.role) == (
        "nina@test.example", world.org, Recruiter.Role.RECRUITER,
    )  # fmt: skip
    assert sign_in(client, "NINA@test.example", "une phrase de passe").status_code == 302
    # Inviting a member of the admin's own team again says so (the team list shows them).
    admin = client_of(world.admin)
    admin.post(reverse("web:settings_invite"), {"email": "MARC@test.example"})
    page = admin.get(reverse("web:settings")).content.decode()
    assert "marc@test.example is already in your team." in page
    assert 'data-testid="invitation"' not in page


def test_an_invitation_link_tampered_with_is_refused(client, world):
    page = client.get("/join/not-a-signed-invitation/", follow=True).content.decode()
    assert "a déjà servi ou a expiré" in page
    assert Recruiter.objects.count() == 3  # the world's, nothing more
