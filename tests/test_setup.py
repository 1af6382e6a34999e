"""Setting up Relance on a fresh install (issue 13, item 1): `relance setup` with flags or
in a terminal, the first-run page behind the console's one-time token, and the page of
an account that belongs to no organisation."""

from __future__ import annotations

import builtins
import getpass
import re
import sqlite3
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from relance.cli import main
from relance.people import setup
from relance.people.models import AuditEntry, Organisation, Recruiter, SetupToken
from relance.web import first_run
from tests.test_cli import relance

PASSWORD = "correct horse battery"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FLAGS = [
    "setup", "--org-name", "Agence Été", "--country", "be", "--address", "1 rue Haute, Bruxelles",
    "--admin-email", "Claire@Ete.example", "--admin-name", "Claire Dubois", "--website",
    "ete.example",
]  # fmt: skip
GOOD = {
    "name": "Agence Été", "country": "FR", "timezone": "", "language": "fr",
    "legal_name": "", "address": "3 rue de la Paix, Paris", "privacy_email": "",
    "website": "", "admin_email": "claire@ete.example", "admin_name": "Claire Dubois",
    "password": PASSWORD,
}  # fmt: skip


@pytest.fixture(autouse=True)
def no_memory():
    """The first-run middleware remembers that an organisation exists: not across tests."""
    first_run.forget()
    yield
    first_run.forget()


# --- relance setup -------------------------------------------------------------------------


def test_setup_with_flags_creates_the_organisation_and_its_admin_once(tmp_path):
    """As a script runs it: a fresh data directory, every value a flag, the password in
    the environment. Then a second run says an organisation exists; --another adds one."""
    env = {"RELANCE_ADMIN_PASSWORD": PASSWORD}
    done = relance(*FLAGS, "--lang", "en", data_dir=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "Organisation 'Agence Été' created (short name agence-ete; BE, Europe/Brussels" in (
        done.stdout
    )
    assert "relance web" in done.stdout
    assert "docs/setup.md" in done.stdout
    with sqlite3.connect(tmp_path / "relance.sqlite3") as db:
        org = db.execute(
            "SELECT id, slug, country, timezone, language, legal_name, address, privacy_email, "
            "website FROM people_organisation"
        ).fetchall()
        admin = db.execute(
            "SELECT email, role, first_name, last_name, organisation_id, is_active "
            "FROM people_recruiter"
        ).fetchall()
        audit = db.execute("SELECT action, detail FROM people_auditentry").fetchall()
    assert org == [(org[0][0], "agence-ete", "BE", "Europe/Brussels", "en", "Agence Été",
                    "1 rue Haute, Bruxelles", "claire@ete.example", "https://ete.example")]  # fmt: skip
    assert admin == [("claire@ete.example", "admin", "Claire", "Dubois", org[0][0], 1)]
    assert audit == [("setup", '{"door": "command", "slug": "agence-ete"}')]

    again = relance(*FLAGS, "--admin-email", "paul@ete.example", "--lang", "fr",
                    data_dir=tmp_path, env=env)  # fmt: skip
    assert again.returncode == 2
    assert "Relance a déjà une organisation (agence-ete)" in again.stderr
    assert "--another" in again.stderr

    another = relance(*FLAGS, "--admin-email", "paul@ete.example", "--another", "--lang", "en",
                      data_dir=tmp_path, env=env)  # fmt: skip
    assert another.returncode == 0, another.stderr
    assert "short name agence-ete-2" in another.stdout


@pytest.mark.django_db
def test_bad_flags_are_refused_each_with_what_was_expected_and_nothing_is_written(
    capsys, monkeypatch
):
    monkeypatch.setenv("RELANCE_ADMIN_PASSWORD", "short")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code = main([
        "setup", "--org-name", "Agence", "--country", "XX", "--timezone", "Mars/Olympus",
        "--language", "de", "--admin-email", "not-an-address", "--admin-name", "Claire",
        "--privacy-email", "rgpd@", "--website", "http://", "--lang", "en",
    ])  # fmt: skip
    assert code == 2
    said = capsys.readouterr().err
    for expected in (
        "--country: 'XX': expected a country's ISO code of two letters",
        "--timezone: 'Mars/Olympus': expected a time zone of the IANA database",
        "--language: 'de': expected fr or en.",
        "--address: The postal address is required",
        "--admin-email: 'not-an-address': expected an e-mail address.",
        "--privacy-email: 'rgpd@': expected the e-mail address where candidates exercise",
        "--website: 'http://': expected a web address",
        "RELANCE_ADMIN_PASSWORD: This password is too short.",
    ):
        assert expected in said, said
    assert "Traceback" not in said
    assert not Organisation.objects.exists()
    assert not Recruiter.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_without_a_terminal_the_password_must_be_in_the_environment_in_french(capsys, monkeypatch):
    monkeypatch.delenv("RELANCE_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    args = ["setup", "--org-name", "Agence", "--address", "1 rue", "--admin-email",
            "a@b.example", "--admin-name", "Anne Bé", "--country", "ZZ", "--lang", "fr"]  # fmt: skip
    assert main(args) == 2
    said = capsys.readouterr().err
    assert "RELANCE_ADMIN_PASSWORD : vide, et rien ne peut être tapé ici" in said
    assert "--country : 'ZZ' : attendu le code ISO d'un pays" in said
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_in_a_terminal_it_asks_with_defaults_and_asks_again_what_was_refused(capsys, monkeypatch):
    monkeypatch.delenv("RELANCE_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    prompts: list[str] = []
    answers = iter([
        "Agence Été",  # name
        "xx",  # country: refused, asked again at the end
        "",  # time zone: the default (of the refused country: France's)
        "",  # language: the reader's
        "",  # legal name: the name
        "3 rue de la Paix, Paris",  # address
        "claire@ete.example",  # admin e-mail
        "Claire Dubois",  # admin name
        "",  # privacy e-mail: the admin's
        "",  # website: none
        "ch",  # the country again
    ])  # fmt: skip
    passwords = iter(["correct horse", "a typo", PASSWORD, PASSWORD])

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(builtins, "input", ask)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(passwords))
    assert main(["setup", "--lang", "fr"]) == 0
    out = capsys.readouterr()
    assert prompts[:4] == [
        "Nom de l'organisation : ",
        "Pays (code ISO : FR, BE, CH, CA…) [FR] : ",
        "Fuseau horaire [Europe/Paris] : ",
        "Langue de l'organisation (fr ou en) [fr] : ",
    ]
    assert (
        prompts[4] == "Raison sociale (pour la notice d'information des candidats) [Agence Été] : "
    )
    assert (
        prompts[8] == "E-mail où les candidats exercent leurs droits (RGPD) [claire@ete.example] : "
    )
    assert prompts[10] == "Pays (code ISO : FR, BE, CH, CA…) [FR] : "  # the refused one not offered
    assert "Les deux mots de passe diffèrent" in out.err
    assert "--country : 'xx' : attendu le code ISO d'un pays" in out.err
    org = Organisation.objects.get()
    assert (org.name, org.slug, org.country, org.timezone, org.language) == (
        "Agence Été", "agence-ete", "CH", "Europe/Paris", "fr",
    )  # fmt: skip
    assert (org.legal_name, org.privacy_email) == ("Agence Été", "claire@ete.example")
    admin = Recruiter.objects.get(email="claire@ete.example")
    assert (admin.organisation, admin.role) == (org, "admin")
    assert admin.check_password(PASSWORD)
    assert "Organisation « Agence Été » créée" in out.out


@pytest.mark.django_db
def test_an_account_made_by_createsuperuser_becomes_the_first_admin():
    loose = Recruiter.objects.create_superuser("root@ete.example", "whatever it was")
    org, admin = setup.create(setup.read({**GOOD, "admin_email": "ROOT@ete.example"}), NOW)
    assert admin.pk == loose.pk
    loose.refresh_from_db()
    assert (loose.organisation, loose.role, loose.first_name) == (org, "admin", "Claire")
    assert loose.check_password(PASSWORD)


@pytest.mark.django_db
def test_an_address_of_another_organisation_is_refused_and_nothing_is_half_written():
    other = Organisation.objects.create(name="Autre", slug="autre")
    Recruiter.objects.create_user("eve@autre.example", PASSWORD, organisation=other)
    with translation.override("en"), pytest.raises(setup.SetupRefused) as refused:
        setup.read({**GOOD, "admin_email": "Eve@autre.example"})
    assert "already a recruiter of the organisation Autre" in refused.value.errors["admin_email"]
    # Taken between the check and the write: the organisation is not left behind.
    checked = setup.read(GOOD)
    Recruiter.objects.create_user("claire@ete.example", PASSWORD, organisation=other)
    with pytest.raises(setup.SetupRefused):
        setup.create(checked, NOW, another=True)
    assert list(Organisation.objects.values_list("slug", flat=True)) == ["autre"]
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_a_country_is_two_letters_known_to_the_holidays_package():
    for code in ("FRA", "F", "ZZ", "Fr-", "France"):
        with translation.override("en"), pytest.raises(setup.SetupRefused) as refused:
            setup.read({**GOOD, "country": code})
        assert "expected a country's ISO code of two letters" in refused.value.errors["country"]
    assert setup.read({**GOOD, "country": " ca "}).country == "CA"


def test_a_slug_is_the_name_in_ascii_words_made_unique():
    assert setup.slug_for("Agence Été & Fils", set()) == "agence-ete-fils"
    assert setup.slug_for("Agence Été", {"agence-ete", "agence-ete-2"}) == "agence-ete-3"
    assert setup.slug_for("東京", set()) == "organisation"


def test_the_default_time_zone_is_the_countrys_main_one():
    assert setup.default_timezone("fr") == "Europe/Paris"
    assert setup.default_timezone("CA") == "America/Toronto"
    assert setup.default_timezone("BE") == "Europe/Brussels"
    assert setup.default_timezone("NL") == "Europe/Amsterdam"
    assert setup.default_timezone("US") == "America/New_York"
    assert setup.default_timezone("ZZ") == "Europe/Paris"  # unknown: France's


# --- the one-time token ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_token_is_stored_as_a_digest_expires_and_is_used_once():
    token = setup.issue_token(NOW)
    assert token
    assert len(token) >= 40
    row = SetupToken.objects.get()
    assert token not in row.digest
    assert len(row.digest) == 64
    assert setup.valid_token(token, NOW + timedelta(minutes=59)) == row
    assert setup.valid_token(token, NOW + setup.TOKEN_LIFETIME) is None  # expired
    assert setup.valid_token(token[:-1] + "x", NOW) is None
    assert setup.valid_token("", NOW) is None
    assert setup.use_token(row, NOW)
    assert not setup.use_token(row, NOW)  # once
    assert setup.valid_token(token, NOW) is None
    Organisation.objects.create(name="A", slug="a")
    assert setup.issue_token(NOW) is None  # the page is closed once an organisation exists


# --- the first-run page ---------------------------------------------------------------------


def _open_link(client, now=None):  # type: ignore[no-untyped-def]
    from relance import clock

    token = setup.issue_token(now or clock.now())
    client.cookies["django_language"] = "en"
    assert client.get(reverse("web:first_run_link", args=[token])).status_code == 302
    return token


def _form_page(client) -> str:  # type: ignore[no-untyped-def]
    return client.get(reverse("web:first_run")).content.decode()


@pytest.mark.django_db
def test_every_page_leads_to_the_first_run_page_while_no_organisation_exists(client):
    for url in (reverse("web:today"), reverse("web:login"), reverse("web:candidates"),
                reverse("web:settings"), reverse("web:team")):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("web:first_run"), url
    # The candidates' pages and the language switch are not the recruiters' app.
    assert client.get("/u/not-a-token/").status_code != 302


@pytest.mark.django_db
def test_a_stranger_without_the_console_link_gets_no_form_and_creates_nothing(client):
    client.cookies["django_language"] = "fr"
    page = _form_page(client)
    assert "Seule une personne qui a accès à la console du serveur" in page
    assert 'name="admin_email"' not in page
    response = client.post(reverse("web:first_run"), {**GOOD, "password_again": PASSWORD})
    assert response.status_code == 403
    assert not Organisation.objects.exists()
    assert not Recruiter.objects.exists()


@pytest.mark.django_db
def test_a_wrong_or_expired_link_is_refused(client):
    from relance import clock

    client.cookies["django_language"] = "en"
    valid = setup.issue_token(clock.now())  # printed in the console, not known to this client
    assert client.get(reverse("web:first_run_link", args=["guessed"])).status_code == 403
    assert client.get(reverse("web:first_run_link", args=[valid[:-2]])).status_code == 403
    old = setup.issue_token(clock.now() - setup.TOKEN_LIFETIME - timedelta(seconds=1))
    response = client.get(reverse("web:first_run_link", args=[old]))
    assert response.status_code == 403
    assert "expired, was already used, or was mistyped" in response.content.decode()
    assert 'name="admin_email"' not in _form_page(client)


@pytest.mark.django_db
def test_the_link_opens_the_form_which_refuses_bad_values_and_keeps_the_token(client):
    _open_link(client)
    page = _form_page(client)
    assert 'name="admin_email"' in page
    assert 'value="Europe/Paris"' in page
    bad = {**GOOD, "country": "France", "admin_email": "claire", "password": "short",
           "password_again": "short"}  # fmt: skip
    response = client.post(reverse("web:first_run"), bad)
    assert response.status_code == 400
    text = response.content.decode()
    assert "&#x27;France&#x27;: expected a country&#x27;s ISO code" in text
    assert "expected an e-mail address" in text
    assert "This password is too short" in text
    assert 'value="Agence Été"' in text  # what was typed is kept…
    assert 'value="short"' not in text  # …but never a password
    assert not Organisation.objects.exists()
    assert SetupToken.objects.get().used_at is None  # still usable
    assert 'name="admin_email"' in _form_page(client)


@pytest.mark.django_db
def test_setting_up_on_the_page_signs_the_admin_in_and_the_link_is_then_dead(client):
    from django.test import Client

    token = _open_link(client)
    other_tab = Client()
    assert other_tab.get(reverse("web:first_run_link", args=[token])).status_code == 302
    response = client.post(reverse("web:first_run"), {**GOOD, "password_again": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:today")
    org = Organisation.objects.get()
    assert (org.slug, org.timezone, org.privacy_email) == ("agence-ete", "Europe/Paris",
                                                          "claire@ete.example")  # fmt: skip
    assert client.get(reverse("web:today")).status_code == 200  # signed in
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.detail["door"]) == ("setup", "first_run")
    assert SetupToken.objects.get().used_at is not None
    # The same link, from the other tab or opened again: nothing more is created.
    again = other_tab.post(reverse("web:first_run"), {**GOOD, "admin_email": "x@ete.example",
                                                       "password_again": PASSWORD})  # fmt: skip
    assert again.status_code == 302
    assert Organisation.objects.count() == 1
    assert Client().get(reverse("web:first_run_link", args=[token]))["Location"] == reverse(
        "web:login"
    )


@pytest.mark.django_db
def test_a_used_token_is_refused_even_if_the_page_were_open_again(client):
    """Single use does not rest on an organisation existing: a used token never opens."""
    token = _open_link(client)
    setup.use_token(SetupToken.objects.get(), datetime.now(tz=UTC))
    assert 'name="admin_email"' not in _form_page(client)
    assert client.get(reverse("web:first_run_link", args=[token])).status_code == 403


# --- an account in no organisation ----------------------------------------------------------


@pytest.mark.django_db
def test_an_account_in_no_organisation_reads_what_to_do_not_a_404(client_of):
    Organisation.objects.create(name="Agence", slug="agence")
    loose = Recruiter.objects.create_superuser("root@ete.example", PASSWORD)
    client = client_of(loose, "fr")
    for url in (reverse("web:today"), reverse("web:candidates"), reverse("web:settings")):
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert "Votre compte n'appartient à aucune organisation" in page
        assert "relance setup --another" in page
        assert "root@ete.example" in page


@pytest.mark.django_db
def test_an_account_in_no_organisation_joins_by_invitation_once_signed_in(client, world):
    """The link alone never sets an existing account's password: its owner signs in."""
    from relance.web.views.account import invitation_link
    from tests.web_world import PASSWORD as WORLD_PASSWORD

    loose = Recruiter.objects.create_superuser("root@ete.example", WORLD_PASSWORD)

    class Request:
        def build_absolute_uri(self, path: str) -> str:
            return path

    link = invitation_link(Request(), world.org, "root@ete.example", "recruiter", "", "")
    client.cookies["django_language"] = "en"
    page = client.get(link, follow=True).content.decode()
    assert "sign in with it first" in page
    assert 'name="new_password1"' not in page
    client.post(reverse("web:login"), {"username": "root@ete.example", "password": WORLD_PASSWORD})
    page = client.get(reverse("web:join", args=["set-password"])).content.decode()
    assert re.search(r"Join Agence Test with your account root@ete.example", page)
    response = client.post(reverse("web:join", args=["set-password"]))
    assert response.status_code == 302
    loose.refresh_from_db()
    assert (loose.organisation, loose.role) == (world.org, "recruiter")
    assert AuditEntry.objects.filter(action="joined", recruiter=loose).exists()
    assert client.get(reverse("web:today")).status_code == 200
