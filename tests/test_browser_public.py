"""The public careers page in a real browser (Debian's Chromium through Playwright), on the
demo, as a candidate on a phone would use it, in French: a job, its form, a PDF CV; then
the acknowledgement reaches the demo's mail server and the application is on Today.

Screenshots go to $RELANCE_SCREENSHOTS when set, else to a temporary folder."""

from __future__ import annotations

import re

from tests import cvfiles
from tests.test_browser import (  # noqa: F401 (fixtures)
    browser,
    demo,
    link_in,
    mail_to,
    pytestmark,
    shots,
    signed_in,
)


def test_a_candidate_applies_with_a_pdf_cv_on_a_phone_in_french(demo, browser, shots, tmp_path):  # noqa: F811
    base, _, _ = demo
    phone = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(base + "careers/demo/")
    assert page.locator("h1").inner_text().startswith("Offres d'emploi chez")
    page.locator("article.job a.button").first.click()
    page.wait_for_url(re.compile(r"/careers/demo/\d+/"))
    title = page.locator("h1").inner_text()

    cv = tmp_path / "CV Nadia Benali.pdf"
    cv.write_bytes(cvfiles.two_column_pdf())
    page.get_by_label("Prénom").fill("Nadia")
    page.get_by_label("Nom", exact=True).fill("Benali")
    page.get_by_label("E-mail").fill("nadia.benali@example.org")
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label("Votre CV").set_input_files(str(cv))
    page.get_by_label("Message").fill("Bonjour, votre poste me plaît beaucoup.")
    page.get_by_label("J'ai lu la notice d'information").check()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the apply form is {width}px wide on a phone"
    page.screenshot(path=str(shots / "apply-phone.png"), full_page=True)
    page.get_by_role("button", name="Envoyer ma candidature").click()
    page.get_by_text("Merci, votre candidature est envoyée").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The careers page and the talent-pool form fit the phone too.
    page.goto(base + "careers/demo/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name=re.compile("Rejoignez notre vivier")).click()
    page.get_by_label("Prénom").fill("Karim")
    page.get_by_label("E-mail", exact=True).fill("karim.haddad@example.org")
    page.get_by_role("checkbox", name=re.compile("Recevoir les offres")).check()
    page.get_by_label("J'ai lu la notice d'information").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "signup-phone.png"), full_page=True)
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.get_by_text("Consultez votre boîte mail").wait_for()
    assert not errors, errors

    # The acknowledgement left (the demo's worker sends it at once), and the application
    # is on the team's Today with its call to make.
    recruiter, recruiter_errors = signed_in(browser, base)
    text = mail_to(recruiter, base, "nadia.benali@example.org", "Nadia")
    assert title in text or "candidature" in text.lower()
    recruiter.goto(base + "?team=1")
    row = recruiter.locator("li.row", has_text="Nadia Benali")
    row.first.wait_for()
    assert title in row.first.inner_text()
    # Her CV, read column by column, on her page.
    row.first.locator("a.name").click()
    recruiter.locator("#cvs").get_by_text("CV Nadia Benali.pdf").wait_for()
    recruiter.locator("#cvs summary").click()
    assert "COMPÉTENCES" in recruiter.locator("#cvs pre.body").inner_text()
    assert not recruiter_errors, recruiter_errors

    # Karim confirms his sign-up from the e-mail: then, and only then, he consents.
    confirmation = mail_to(recruiter, base, "karim.haddad@example.org", "/c/signup/")
    page.goto(base.rstrip("/") + link_in(confirmation, "/c/signup/"))
    page.get_by_role("button", name="Je confirme").click()
    page.get_by_text("Merci, vos choix sont enregistrés").wait_for()
    assert not errors, errors
    phone.close()
