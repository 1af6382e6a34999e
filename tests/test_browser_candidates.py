"""Candidates in a real browser (Debian's Chromium through Playwright), on the demo, in
French: adding one (a bad phone first, refused beside its field), rating and tagging from
the list (with the mouse and the keyboard), bulk-starting follow-ups for five people with
the one-voice confirmation, and the list on a phone.

Screenshots go to $RELANCE_SCREENSHOTS when set, else to a temporary folder."""

from __future__ import annotations

import re

import pytest

from tests.test_browser import (  # noqa: F401 (fixtures)
    browser,
    demo,
    pytestmark,
    shots,
    signed_in,
)


def test_a_recruiter_adds_a_candidate_in_french(demo, browser, shots):  # noqa: F811
    base, _, _ = demo
    page, errors = signed_in(browser, base)
    page.goto(base + "candidates/")
    page.get_by_role("link", name="Ajouter un candidat").click()
    page.get_by_label("Prénom").fill("Inès")
    page.get_by_label("Nom", exact=True).fill("Moreau")
    page.get_by_label("E-mail").fill("Ines.Moreau@Exemple.FR")
    page.get_by_label("Téléphone").fill("06 12")
    page.get_by_label("Profil LinkedIn").fill("fr.linkedin.com/in/Ines-Moreau/?trk=public")
    page.get_by_label("Source").select_option("referral")
    page.get_by_label("Compétences").fill("Java, Spring Boot, Kafka")
    page.get_by_label("Accroche personnelle").fill("votre talk sur Kafka à Devoxx")
    page.get_by_role("button", name="Ajouter le candidat").click()
    # Refused beside its field, in French, with what was typed kept; the focus on the list.
    alert = page.locator("#problems")
    alert.wait_for()
    assert "Rien n'a été enregistré" in alert.inner_text()
    assert "« 06 12 » n'est pas un numéro de téléphone" in page.locator("#e-phone").inner_text()
    # A selector, not a polled predicate (the page's CSP refuses the eval a poll needs).
    page.locator("#problems:focus").wait_for(timeout=5000)
    # The refusal is a 400 (bad input), which Chromium reports in the console: expected.
    assert errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    errors.clear()
    assert page.get_by_label("Prénom").input_value() == "Inès"
    page.screenshot(path=str(shots / "candidate-new-refused.png"), full_page=True)
    page.get_by_label("Téléphone").fill("06 12 34 56 79")
    page.get_by_role("button", name="Ajouter le candidat").click()
    page.get_by_role("heading", name="Inès Moreau").wait_for()
    assert "Candidat ajouté." in page.locator(".flash").inner_text()
    profile = page.locator("aside .card").first.inner_text()
    assert "06 12 34 56 79" in profile  # E.164 stored, shown as a French recruiter dials it
    assert "Ines.Moreau@exemple.fr" in profile
    assert "Java, Spring Boot, Kafka" in profile
    href = page.get_by_role("link", name="Profil", exact=True).get_attribute("href")
    assert href == "https://www.linkedin.com/in/ines-moreau"
    assert not errors, errors


def test_rating_and_tagging_from_the_list_in_french(demo, browser, shots):  # noqa: F811
    base, _, _ = demo
    page, errors = signed_in(browser, base)
    page.goto(base + "candidates/?sort=name")
    first = page.locator("table.candidates tbody tr").first
    row_id = first.get_attribute("id")
    # One click gives three stars; htmx puts the stars back in place.
    first.get_by_role("button", name="Donner 3 étoiles").click()
    page.locator(f"#{row_id} .rating .sr", has_text="3 étoiles sur 3").wait_for()
    # With the keyboard: the focus stays on the stars after the swap, Enter removes them.
    page.locator(f"#{row_id}").get_by_role("button", name="Retirer les étoiles").focus()
    page.keyboard.press("Enter")
    page.locator(f"#{row_id} .rating .sr", has_text="0 étoile sur 3").wait_for()
    page.locator(f"tr[id='{row_id}'] :focus").wait_for(timeout=5000)
    page.keyboard.press("Tab")  # the next star, then Enter: two stars
    page.keyboard.press("Enter")
    page.locator(f"#{row_id} .rating .sr", has_text="2 étoiles sur 3").wait_for()
    page.reload()
    assert "2 étoiles sur 3" in page.locator(f"#{row_id} .rating").inner_text()

    # Tag two people from the list: tick them, then the selection's action.
    rows = page.locator("table.candidates tbody tr")
    names = [rows.nth(i).locator("td a").first.inner_text() for i in (0, 1)]
    for i in (0, 1):
        rows.nth(i).locator("input[name=ids]").check()
    page.locator("#selection summary").click()
    page.locator("input[name=tag][form=bulk]").fill(" Salon Devoxx ")
    page.get_by_role("button", name="Ajouter l'étiquette").click()
    page.get_by_role("heading", name="Ajouter une étiquette").wait_for()
    assert "2 faits" in page.locator("[data-testid=bulk-summary]").inner_text()
    for name in names:
        assert page.locator("tr.outcome.done", has_text=name).count() == 1
    page.get_by_role("link", name="Retour à la liste").click()
    page.wait_for_url(re.compile(r"/candidates/\?sort=name"))
    for i in (0, 1):
        assert "salon devoxx" in rows.nth(i).inner_text()
    page.screenshot(path=str(shots / "candidates-tagged.png"))
    assert not errors, errors


def test_bulk_starting_follow_ups_for_five_with_the_one_voice_confirmation(demo, browser, shots):  # noqa: F811
    base, _, _ = demo
    page, errors = signed_in(browser, base)
    page.goto(base + "candidates/?sort=name&source=linkedin")
    rows = page.locator("table.candidates tbody tr")
    assert rows.count() >= 5
    for i in range(5):
        rows.nth(i).locator("input[name=ids]").check()
    page.locator("#selection summary").click()
    page.locator("select[name=plan]").select_option("first_message:linkedin")
    page.get_by_role("button", name="Lancer", exact=True).click()
    page.get_by_role("heading", name="Lancer une relance").wait_for()
    outcomes = page.locator("tr.outcome")
    assert outcomes.count() == 5
    statuses = [o.get_attribute("class").split()[-1] for o in outcomes.all()]
    assert set(statuses) <= {"done", "confirm", "refused"}
    started = [
        o.locator("td a").get_attribute("href") for o in page.locator("tr.outcome.done").all()
    ]
    confirm = page.locator("#confirm")
    if "confirm" in statuses:  # another recruiter follows them up: started once confirmed
        assert "suit déjà cette personne" in confirm.inner_text()
        confirm.get_by_label("Je confirme").check()
        confirm.get_by_role("button", name="Lancer pour ces personnes").click()
        page.get_by_role("heading", name="Lancer une relance").wait_for()
        assert page.locator("tr.outcome.confirm").count() == 0
        started += [
            o.locator("td a").get_attribute("href") for o in page.locator("tr.outcome.done").all()
        ]
    assert started, statuses
    page.screenshot(path=str(shots / "candidates-bulk.png"), full_page=True)
    # Each of them now has an open follow-up of Claire's.
    for href in started:
        page.goto(base + href.lstrip("/"))
        page.locator("[data-testid=open-thread]", has_text="Claire").first.wait_for()
    assert not errors, errors


@pytest.mark.parametrize("width", [390, 320])
def test_the_list_the_selection_and_the_form_fit_a_phone(demo, browser, shots, width):  # noqa: F811
    base, _, _ = demo
    page, errors = signed_in(browser, base, width=width, height=844)
    wide = {}
    for path in ("candidates/", "candidates/?sort=stars&stars=1", "candidates/new/"):
        page.goto(base + path)
        if path.startswith("candidates/?"):
            page.locator("#selection summary").click()
        scrolled = page.evaluate("document.documentElement.scrollWidth")
        if scrolled > width:
            wide[path] = scrolled
    assert wide == {}, f"wider than {width}px: {wide}"
    page.goto(base + "candidates/")
    page.screenshot(path=str(shots / "candidates-phone.png"))
    # The stars are big enough to touch, and the first row's check box is reachable.
    star = page.locator("table.candidates .rating .star").first
    box = star.bounding_box()
    assert box["width"] >= 24
    assert box["height"] >= 24
    assert page.locator("table.candidates input[name=ids]").first.is_visible()
    assert not errors, errors


def test_axe_finds_no_wcag_violation_on_the_new_pages(demo, browser):  # noqa: F811
    """axe-core (bundled in axe-playwright-python) on the profile form refused, the list
    with the selection's actions open, a candidate's edit page and a bulk report."""
    from axe_playwright_python.sync_playwright import Axe

    base, _, _ = demo
    page, errors = signed_in(browser, base)
    options = {
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"],
    }
    found = {}

    def scan(name):
        violations = Axe().run(page, options=options).response["violations"]
        if violations:
            found[name] = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]

    page.goto(base + "candidates/new/")
    page.get_by_label("Téléphone").fill("12")
    page.get_by_role("button", name="Ajouter le candidat").click()
    page.locator("#problems").wait_for()
    scan("new, refused")
    page.goto(base + "candidates/?sort=name")
    page.locator("#selection summary").click()
    scan("list, selection open")
    edit = page.locator("table.candidates tbody tr td a").first.get_attribute("href")
    page.goto(base + edit.lstrip("/") + "edit/")
    scan("edit")
    page.goto(base + "candidates/?sort=name")
    page.locator("table.candidates input[name=ids]").first.check()
    page.locator("#selection summary").click()
    page.get_by_role("button", name="Attribuer", exact=True).click()
    page.locator("[data-testid=bulk-summary]").wait_for()
    scan("bulk report")
    assert found == {}, found
    assert [e for e in errors if "400 (Bad Request)" not in e] == []
