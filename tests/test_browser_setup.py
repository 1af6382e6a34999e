"""Setting up and managing the team in a real browser (issue 13, items 1 and 8): Debian's
Chromium driven by Playwright against `relance web` on an empty database (the first-run
page, in French, on a phone), and against the demo (deactivating a recruiter, with the
handover of their work).

On the suite's PostgreSQL pass each server gets a database of its own in the throw-away
cluster, created here and dropped after: "empty" must mean empty.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, START, browser, shots, signed_in  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "une phrase de passe solide"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason=f"no Chromium at {CHROMIUM} (CI installs Debian's chromium package)",
)


@contextlib.contextmanager
def own_database() -> Iterator[str | None]:
    """A new, empty PostgreSQL database when the suite runs on PostgreSQL (its URL), else
    None: the server then makes its SQLite database in its own data directory."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    import psycopg

    name = "relance_" + secrets.token_hex(4)
    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def serving(args: list[str], data: Path, database: str | None) -> Iterator[list[str]]:
    """`relance ARGS` until it prints the address it serves; yields what it printed."""
    env = {**os.environ, "RELANCE_DATA_DIR": str(data), "COLUMNS": "400"}
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = database
    process = subprocess.Popen(
        [sys.executable, "-m", "relance.cli", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seen: list[str] = []
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "relance setup" in line or "demo_web" in line or "sign in as" in line:
                break
        assert any(re.search(r"http://127\.0\.0\.1:\d+/", s) for s in seen), "".join(seen)
        yield seen
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def empty(tmp_path):
    """`relance web` on an empty database: (base URL, the set-up link it printed)."""
    with (
        own_database() as database,
        serving(["web", "--port", "0", "--lang", "fr"], tmp_path, database) as printed,
    ):
        text = "".join(printed)
        base = re.search(r"(http://127\.0\.0\.1:\d+/)", text).group(1)
        link = re.search(r"(http://127\.0\.0\.1:\d+/setup/[\w-]+/)", text)
        assert link, text
        assert "Aucune organisation encore" in text
        yield base, link.group(1)


def test_first_run_on_an_empty_database_in_french_on_a_phone(empty, browser, shots):  # noqa: F811
    base, link = empty
    phone = {"width": 390, "height": 844}
    # A stranger who reaches the server first: no form, what to do.
    stranger = browser.new_context(locale="fr-FR", viewport=phone).new_page()
    stranger.goto(base + "candidates/")
    assert stranger.url == base + "setup/"
    stranger.get_by_text("Seule une personne qui a accès à la console du serveur").wait_for()
    assert stranger.locator("input[name=admin_email]").count() == 0
    stranger.goto(base + "setup/pas-le-bon-jeton/")
    stranger.get_by_text("Ce lien de mise en place n'est pas valable").wait_for()

    context = browser.new_context(locale="fr-FR", viewport=phone)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(link)
    assert page.url == base + "setup/"  # the token left the address bar
    assert page.locator("h1").inner_text() == "Mettre en place Relance"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Nom de l'organisation").fill("Agence Été")
    page.get_by_label("Pays").fill("ZZ")  # refused: no such country
    page.get_by_label("Adresse postale").fill("3 rue de la Paix\n75002 Paris")
    page.get_by_label("Votre e-mail (votre identifiant de connexion)").fill("claire@ete.example")
    page.get_by_label("Vos prénom et nom").fill("Claire Dubois")
    page.get_by_label("Votre mot de passe (10 caractères au moins)").fill(PASSWORD)
    page.get_by_label("Le même mot de passe, encore").fill(PASSWORD)
    page.get_by_role("button", name="Créer l'organisation").click()
    page.get_by_text("Rien n'a été créé").wait_for()
    country = page.get_by_label("Pays")
    assert country.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.name") == "country"  # what to correct
    page.get_by_text("'ZZ' : attendu le code ISO d'un pays").wait_for()
    assert page.get_by_label("Nom de l'organisation").input_value() == "Agence Été"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "first-run-phone.png"), full_page=True)
    assert errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    errors.clear()  # the refusal is a 400, as it should

    # Corrected, with the keyboard: the password again, then Enter.
    country.fill("fr")
    page.get_by_label("Votre mot de passe (10 caractères au moins)").fill(PASSWORD)
    page.get_by_label("Le même mot de passe, encore").fill(PASSWORD)
    page.get_by_label("Le même mot de passe, encore").press("Enter")
    page.wait_for_url(base)
    assert page.locator("h1").inner_text() == "Aujourd'hui"
    page.get_by_text("Agence Été est en place, et vous êtes connecté").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not errors, errors

    # The link is dead now; signing in works with the password chosen.
    other = browser.new_context(locale="fr-FR").new_page()
    other.goto(link)
    assert other.url.startswith(base + "login/")
    other.fill("input[name=username]", "claire@ete.example")
    other.fill("input[name=password]", PASSWORD)
    other.click("main button.primary")
    other.wait_for_url(base)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """`relance demo` on a free port and a database of its own (the deactivation below must
    not reach another test's demo)."""
    data = tmp_path_factory.mktemp("demo-team")
    args = ["demo", "--now", START, "--port", "0", "--worker-interval", "3600", "--lang", "en"]
    with own_database() as database, serving(args, data, database) as printed:
        yield re.search(r"(http://127\.0\.0\.1:\d+/)", "".join(printed)).group(1)


def test_deactivating_a_recruiter_hands_their_work_over_in_english(demo_server, browser, shots):  # noqa: F811
    base = demo_server
    page, errors = signed_in(browser, base, locale="en-GB")
    page.goto(base + "settings/")
    page.get_by_role("link", name="Roles, deactivation and handover").click()
    assert page.locator("h1").inner_text() == "Team"
    row = page.locator("tr", has=page.get_by_text("thomas@agence-demo.example"))
    before = int(row.locator("td").nth(2).inner_text())
    assert before > 0  # Thomas has follow-ups under way

    # Without choosing who takes over: the browser asks first (the select is required).
    row.get_by_role("button", name="Deactivate").click()
    assert page.url == base + "team/"
    assert row.get_by_text("active", exact=True).count() == 1

    # With the keyboard: the colleague chosen, then the button.
    choose = row.get_by_label("Who takes over from Thomas Moreau")
    choose.focus()
    choose.select_option(label="Claire Dubois")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Deactivate"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    message = page.locator(".flash li").inner_text()
    assert message.startswith(
        f"Thomas Moreau is deactivated and can no longer sign in. Claire Dubois takes over "
        f"{before} follow-up(s)"
    ), message
    row = page.locator("tr", has=page.get_by_text("thomas@agence-demo.example"))
    row.get_by_text("deactivated", exact=True).wait_for()
    claire = page.locator("tr", has=page.get_by_text("claire@agence-demo.example"))
    assert int(claire.locator("td").nth(2).inner_text()) >= before
    page.screenshot(path=str(shots / "team.png"), full_page=True)

    # In the audit log, newest first.
    page.get_by_role("link", name="Audit log").click()
    first = page.locator("table.list tbody tr").first
    assert "Deactivated" in first.inner_text()
    assert "Thomas Moreau" in first.inner_text()
    assert "handed over to Claire Dubois" in first.inner_text()
    assert not errors, errors

    # Thomas can no longer sign in.
    thomas = browser.new_context(locale="en-GB").new_page()
    thomas.goto(base + "login/")
    thomas.fill("input[name=username]", "thomas@agence-demo.example")
    thomas.fill("input[name=password]", "relance-demo")
    thomas.click("main button.primary")
    assert thomas.url.startswith(base + "login/")
    thomas.locator("main .error").wait_for()
