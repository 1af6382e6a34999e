"""The web app in a real browser: Debian's Chromium driven by Playwright, against the
demo (`relance demo`) served on a loopback port, as a newcomer would use it.

Screenshots go to $RELANCE_SCREENSHOTS when set (docs/screenshots/ for the README), else
to a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("RELANCE_CHROMIUM", "/usr/bin/chromium")
# Friday 20 November 2026, five seconds before the calls of 9:00 come due.
START = "2026-11-20T08:59:55+01:00"
LOGIN = ("claire@agence-demo.example", "relance-demo")

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
    reason=f"no Chromium at {CHROMIUM} (CI installs Debian's chromium package)",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`relance demo` on a free loopback port; yields (base URL, data directory)."""
    data = tmp_path_factory.mktemp("demo-data")
    # On the suite's PostgreSQL pass, DATABASE_URL names its throw-away cluster: the demo
    # and the web app then run on PostgreSQL, in one database shared by every module's
    # demo, so each module reloads it (--reset) rather than finding the last one's changes.
    env = {**os.environ, "RELANCE_DATA_DIR": str(data), "COLUMNS": "400"}
    process = subprocess.Popen(
        [sys.executable, "-m", "relance.cli", "demo", "--now", START, "--port", "0",
         "--worker-interval", "3600", "--lang", "en", "--reset"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url, seen, deadline = None, [], time.monotonic() + 180
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        url = found.group(1) if found else None
    assert url, "the demo did not start its web app:\n" + "".join(seen)
    started = time.monotonic()
    yield url, data, started  # the base URL, the data directory, when it started
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("RELANCE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def signed_in(browser, base, locale="fr-FR", width=1280, height=900):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "login/")
    page.fill("input[name=username]", LOGIN[0])
    page.fill("input[name=password]", LOGIN[1])
    page.click("main button.primary")
    page.wait_for_url(base)
    return page, errors


def test_it_works_a_morning_agenda_in_french(demo, browser, shots):
    base, _, started = demo
    page, errors = signed_in(browser, base)
    assert page.locator("h1").inner_text() == "Aujourd'hui"
    # The calls of 9:00 come due five seconds after the demo's clock started.
    time.sleep(max(0.0, started + 7 - time.monotonic()))
    page.reload()
    page.screenshot(path=str(shots / "today.png"))

    # Send one e-mail now: the row says it is queued, and the demo's worker sends it.
    row = page.locator("li.row", has=page.get_by_role("button", name="Envoyer maintenant")).first
    name = row.locator("a.name").inner_text()
    row.get_by_role("button", name="Envoyer maintenant").click()
    thread = row.get_attribute("id")
    page.locator(f"#{thread}").get_by_text(re.compile("en file", re.I)).wait_for()

    # Log a voicemail: the next step appears, with its reason.
    call = page.locator("li.row", has=page.get_by_role("button", name="Message vocal")).first
    call_id = call.get_attribute("id")
    before = call.locator(".why").inner_text()
    call.get_by_role("button", name="Message vocal").click()
    after = page.locator(f"#{call_id}")
    after.get_by_text("Appel noté : Message vocal laissé.").wait_for()
    assert after.locator(".why").inner_text() not in ("", before)
    # The row was replaced: the focus is on what the action did, not lost to the page, and
    # the live region outside the row says it.
    # A selector, not a predicate: polling a predicate evaluates a string, which the
    # page's Content-Security-Policy (no 'unsafe-eval') refuses when it must poll.
    page.locator(f"li.row[id='{call_id}'] :focus").wait_for(timeout=5000)
    focused = page.evaluate(
        "[document.activeElement.closest('li.row')?.id, document.activeElement.innerText]"
    )
    assert focused == [call_id, "Appel noté : Message vocal laissé."]
    assert page.locator("#row-status").inner_text() == "Appel noté : Message vocal laissé."

    # The prepared message of a row opens in place.
    first = page.locator("li.row:has(.channel.linkedin) details.message").first
    first.locator("summary").click()
    first.locator("pre.body").wait_for()
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "today-message.png"))

    # The e-mail reached the local mail server: the demo mail page shows it.
    for _ in range(30):
        page.goto(base + "demo/mail/")
        if name.split()[0] in page.locator("main").inner_text():
            break
        time.sleep(0.5)
    assert name.split()[0] in page.locator("main").inner_text()
    assert not errors, errors


def mail_to(page, base, address, needle, tries=40):
    """The text of the demo's e-mail to `address` that holds `needle` (polled: the demo's
    worker sends it within seconds)."""
    for _ in range(tries):
        page.goto(base + "demo/mail/")
        for card in page.locator("article.mail").all():
            text = card.inner_text()
            if address in text and needle in text:
                return text
        time.sleep(0.5)
    raise AssertionError(f"no e-mail to {address} holding {needle!r} in the demo's mail")


def link_in(text, path):
    found = re.search(r"https?://\S+(" + re.escape(path) + r"\S+/)", text)
    assert found, f"no {path} link in:\n{text}"
    return found.group(1)


def test_a_rejected_finalist_receives_her_e_mail_and_joins_the_pool_in_french(demo, browser, shots):
    base, _, _ = demo
    page, errors = signed_in(browser, base)
    row = page.locator("li.row", has_text="Camille Rousseau").first
    thread = row.get_attribute("id")
    # Her personal e-mail is the row's primary action (not "mark done").
    row.locator("summary.primary", has_text="Écrire et envoyer l'e-mail").click()
    body = row.locator("textarea[name=body]")
    body.wait_for()
    assert "/c/pool/" in body.input_value()  # the link to join the talent pool
    width = body.evaluate("e => e.getBoundingClientRect().width")
    assert width >= 600, f"the e-mail editor is {width}px wide on a desktop"
    # Sent with the template's placeholders left in it, it does not leave: the editor says
    # why, keeps the text, and the focus is on the reason.
    row.get_by_role("button", name="Envoyer cet e-mail").click()
    refused = page.locator(f"#{thread} p.error")
    refused.wait_for()
    assert "Non envoyé" in refused.inner_text()
    # The focus moves there once htmx has swapped the editor in (a moment after it shows).
    # A selector, not a polled predicate (the page's CSP refuses the eval a poll needs).
    page.locator(f"#{thread} p.error:focus").wait_for(timeout=5000)
    assert "/c/pool/" in body.input_value()
    body.fill(
        body.input_value()
        .replace(
            "Bonjour Camille,",
            "Bonjour Camille,\n\nMerci encore pour votre finale : un conseil, montrez davantage vos projets Kotlin.",
        )
        .replace(
            "[Les raisons, deux au plus, concrètes.]",
            "Un profil plus senior en Spring a été retenu.",
        )
        .replace(
            "[un conseil concret, tiré de vos entretiens.]", "racontez vos projets en chiffres."
        )
    )
    row.get_by_role("button", name="Envoyer cet e-mail").click()
    page.locator(f"#{thread}").get_by_text("En file d'envoi tel que vous l'avez écrit").wait_for()

    mail = mail_to(page, base, "camille.rousseau@example.org", "montrez davantage vos projets")
    join = link_in(mail, "/c/pool/")
    visitor = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    form = visitor.new_page()
    form.goto(base.rstrip("/") + join)
    assert form.locator("h1").inner_text() == "Garder le contact avec Agence Démo"
    assert form.locator("input[type=checkbox]:checked").count() == 0  # nothing ticked for her
    width = form.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the form is {width}px wide on a phone"
    form.check("#purpose-talent_pool")
    form.check("#purpose-job_alerts")
    form.select_option("#topic-job_offers", "monthly")
    form.screenshot(path=str(shots / "consent-form.png"), full_page=True)
    form.get_by_role("button", name="Enregistrer mes choix").click()
    form.get_by_role("heading", name="Merci, vos choix sont enregistrés").wait_for()
    form.goto(base.rstrip("/") + join)  # the same link again: used, nothing changes
    assert form.locator("h1").inner_text() == "Ce lien a déjà été utilisé"
    visitor.close()
    assert not errors, errors


def test_the_preference_centre_in_english_and_withdrawing_in_one_click(demo, browser, shots):
    base, _, _ = demo
    page, errors = signed_in(browser, base)
    mail = mail_to(page, base, "oliver.hughes@example.org", "/c/preferences/")
    assert "Lead développeur Java" in mail  # the campaign reached a consenting finalist
    centre = link_in(mail, "/c/preferences/")
    visitor = browser.new_context(locale="en-GB")
    prefs = visitor.new_page()
    prefs.goto(base.rstrip("/") + centre)
    assert prefs.locator("h1").inner_text() == "Your preferences"
    assert prefs.locator("input[type=checkbox]:checked").count() == 2
    assert prefs.locator("#topic-job_offers").input_value() == "weekly"
    prefs.select_option("#topic-job_offers", "monthly")
    prefs.screenshot(path=str(shots / "preference-centre.png"), full_page=True)
    prefs.get_by_role("button", name="Save my choices").click()
    prefs.get_by_role("heading", name="Thank you, your choices are saved").wait_for()
    prefs.goto(base.rstrip("/") + centre)
    assert prefs.locator("#topic-job_offers").input_value() == "monthly"
    prefs.get_by_role("link", name="Français").click()
    prefs.get_by_role("heading", name="Vos préférences").wait_for()
    prefs.get_by_role("button", name="Tout retirer en un clic").click()
    prefs.get_by_role(
        "heading", name="C'est fait : vous avez retiré tous vos consentements"
    ).wait_for()
    prefs.goto(base.rstrip("/") + centre)
    assert prefs.locator("input[type=checkbox]:checked").count() == 0
    visitor.close()
    assert not errors, errors


def test_composing_a_campaign_shows_who_will_not_receive_it_and_why(demo, browser, shots):
    base, _, _ = demo
    page, errors = signed_in(browser, base)
    page.get_by_role("link", name="Campagnes").click()
    assert "Lead développeur Java — finalistes" in page.locator("main").inner_text()
    page.get_by_role("link", name="Nouvelle campagne").click()
    page.fill("input[name=name]", "Meetup Java de décembre")
    page.select_option("select[name=segment]", label="Finalistes Java (18 mois)")
    page.select_option("select[name=topic]", "job_offers")
    page.get_by_role("button", name="Voir les destinataires").click()
    exclusions = page.locator("[data-testid=exclusions]")
    exclusions.wait_for()
    text = exclusions.inner_text()
    assert "Pas de consentement pour cet usage" in text
    assert "Déjà contacté sur ce sujet trop récemment pour son rythme" in text  # today's campaign
    page.screenshot(path=str(shots / "campaign-preview.png"), full_page=True)
    page.get_by_role("button", name="Programmer").click()
    page.get_by_role("alert").get_by_text("personne dans le segment ne peut la recevoir").wait_for()
    page.goto(base + "campaigns/")
    assert "Meetup Java de décembre" not in page.locator("main").inner_text()  # refused
    refused = "status of 400"  # the refused form's answer, on purpose
    assert not [e for e in errors if refused not in e], errors


def test_it_opens_a_candidate_and_shows_the_timeline(demo, browser, shots):
    base, _, _ = demo
    page, errors = signed_in(browser, base)
    page.locator("li.row a.name").first.click()
    page.get_by_role("heading", name="Historique").wait_for()
    assert page.locator("ol.timeline li.tp").count() >= 1
    assert page.locator("[data-testid=open-thread]").count() >= 1
    page.screenshot(path=str(shots / "candidate.png"), full_page=True)
    page.goto(base + "candidates/?stars=2")
    assert page.locator("table.list tbody tr").count() >= 1
    page.screenshot(path=str(shots / "candidates.png"))
    assert not errors, errors


def test_the_template_editor_previews_and_a_check_fires(demo, browser, shots):
    base, _, _ = demo
    page, errors = signed_in(browser, base)
    page.goto(base + "templates/first_message.1.email/fr/")
    checks = page.locator("[data-testid=checks]")
    assert "Aucun problème détecté." in checks.inner_text()
    body = page.locator("textarea[name=body]")
    body.fill("Bonjour {{ candidat.prenom }},\n\nJe reviens vers vous.")
    page.get_by_text("Variable inconnue : candidat").wait_for()
    body.fill(
        "Bonjour {{ candidate.first_name }},\n\nJe reviens vers vous après mon message du {{ previous.date }}."
    )
    page.locator("[data-testid=preview]").get_by_text(
        "Je reviens vers vous après mon message du"
    ).wait_for()
    assert "Aucun problème détecté." in checks.inner_text()
    page.screenshot(path=str(shots / "template.png"))
    assert not errors, errors


def test_it_switches_to_english_and_back_and_fits_a_phone(demo, browser, shots):
    base, _, _ = demo
    page, errors = signed_in(browser, base)
    page.get_by_role("button", name="EN", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Today"
    assert page.get_by_role("link", name="Candidates").is_visible()
    page.screenshot(path=str(shots / "today-en.png"))
    page.get_by_role("button", name="FR", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Aujourd'hui"
    phone, phone_errors = signed_in(browser, base, width=390, height=844)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    phone.screenshot(path=str(shots / "today-phone.png"))
    # Keyboard: the first Tab reaches the skip link, Enter jumps to the content.
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip"
    assert not errors + phone_errors, errors + phone_errors


def main_pages(page, base):
    """Every main page a recruiter reads, with the demo's ids."""
    page.goto(base)
    candidate = page.locator("li.row a.name").first.get_attribute("href")
    page.goto(base + "jobs/")
    job = page.locator("table.list a").first.get_attribute("href")
    page.goto(base + "campaigns/")
    campaign = page.locator("table.list a").first.get_attribute("href")
    return [
        "", "?team=1", "candidates/", candidate.lstrip("/"), "jobs/", job.lstrip("/"),
        "pools/", "campaigns/", "campaigns/new/", campaign.lstrip("/"), "templates/",
        "templates/first_message.1.email/fr/", "templates/first_message.1.sms/fr/",
        "settings/", "demo/mail/", "team/", "team/audit/",
    ]  # fmt: skip


@pytest.mark.parametrize("width", [390, 320])
def test_no_main_page_is_wider_than_a_phone(demo, browser, width):
    """At 390 px (and 320 px, the narrowest phones), no page scrolls sideways: the
    template editor, the demo's mail, the candidate's page and the templates table did."""
    base, _, _ = demo
    page, errors = signed_in(browser, base, width=width, height=844)
    wide = {}
    for path in main_pages(page, base):
        page.goto(base + path)
        scrolled = page.evaluate("document.documentElement.scrollWidth")
        if scrolled > width:
            wide[path or "/"] = scrolled
    # The prepared messages of Today's rows, opened.
    page.goto(base)
    for summary in page.locator("li.row details.message summary").all()[:6]:
        summary.click()
    page.locator("li.row .prepared > *").first.wait_for()
    if page.evaluate("document.documentElement.scrollWidth") > width:
        wide["/ (messages open)"] = page.evaluate("document.documentElement.scrollWidth")
    assert wide == {}, f"wider than {width}px: {wide}"
    assert not errors, errors


def test_axe_finds_no_wcag_2_1_aa_violation_on_the_main_pages(demo, browser):
    """axe-core (the copy bundled in axe-playwright-python: nothing is downloaded) on every
    main page, in French, with a row's message open on Today."""
    from axe_playwright_python.sync_playwright import Axe

    base, _, _ = demo
    page, errors = signed_in(browser, base)
    axe = Axe()
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    options = {"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]}
    found, scanned = {}, 0
    for path in main_pages(page, base):
        page.goto(base + path)
        if path == "":
            page.locator("li.row details.message summary").first.click()
            page.locator("li.row .prepared > *").first.wait_for()
        results = axe.run(page, options=options)
        scanned += 1
        violations = results.response["violations"]
        if violations:
            found[path or "/"] = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
            ]
    assert scanned >= 15
    assert found == {}, found
    assert not errors, errors
