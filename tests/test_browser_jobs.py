"""Jobs, the pipeline and interviews in a real browser (Debian's Chromium via Playwright),
against the demo served on a loopback port, in French: a job created, a candidate found
and added, moved through the pipeline from the keyboard (and by a drag), an interview
planned (its confirmation with the preparation guide reaches the demo's mail server), an
interview that took place recorded, and its feedback deadline on Today; the pipeline on a
phone; axe on the new pages."""

from __future__ import annotations

import re

from tests.test_browser import (  # noqa: F401 (fixtures)
    CHROMIUM,
    browser,
    demo,
    mail_to,
    pytestmark,
    shots,
    signed_in,
)

# The demo's moment (tests/test_browser.py): Friday 20 November 2026, in the morning.
MONDAY = "2026-11-23"  # the next working day
TODAY = "2026-11-20"


def column(page, stage):
    return page.locator(f'[data-testid="column-{stage}"]')


def card_of(page, stage, name):
    return column(page, stage).locator("li.app", has_text=name)


def move_by_keyboard(page, card, presses):
    """Focus the card's stage select, change it with the arrow keys, Tab to "Déplacer" and
    press Enter: no mouse."""
    card.locator("select[name=stage]").focus()
    for key in presses:
        page.keyboard.press(key)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.innerText")
    assert focused == "Déplacer", focused
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_job_its_pipeline_an_interview_and_the_feedback_deadline_in_french(demo, browser, shots):  # noqa: F811
    base, _, _ = demo
    page, errors = signed_in(browser, base)

    # A new job, from the jobs' page.
    page.goto(base + "jobs/")
    page.get_by_role("link", name="Nouveau poste").click()
    page.fill("#id_title", "Ingénieure QA")
    page.fill("#id_client", "Banque Lumière")
    page.fill("#id_location", "Lyon")
    page.select_option("#id_contract", "permanent")
    page.get_by_role("button", name="Créer le poste").click()
    page.wait_for_url(re.compile(r".*/jobs/\d+/$"))
    assert page.locator("h1").inner_text() == "Ingénieure QA"
    assert "Banque Lumière · Lyon · CDI" in page.locator(".heading").inner_text()
    job_url = page.url

    # A candidate found by name and added at "Sourcé".
    page.fill("input[name=q]", "a")
    page.get_by_role("button", name="Recherche").click()
    result = page.locator("ul.found li", has=page.locator("form.add")).first
    name = result.locator("a").first.inner_text()
    with page.expect_navigation():
        result.get_by_role("button", name="Ajouter").click()
    assert "Ajouté(e) à l'étape « Sourcé »." in page.locator(".flash").inner_text()
    assert card_of(page, "sourced", name).count() == 1
    assert column(page, "sourced").locator(".count").inner_text() == "1"

    # Through the pipeline from the keyboard: Sourcé → Contacté, then → Préqualification.
    move_by_keyboard(page, card_of(page, "sourced", name), ["ArrowDown"])
    assert card_of(page, "contacted", name).count() == 1
    assert f"{name} passe à l'étape « Contacté »." in page.locator(".flash").inner_text()
    move_by_keyboard(page, card_of(page, "contacted", name), ["ArrowDown"] * 3)
    assert card_of(page, "screening", name).count() == 1
    assert column(page, "sourced").locator(".count").inner_text() == "0"
    # Back from the keyboard asks first (its own page), and "Annuler" changes nothing.
    move_by_keyboard(page, card_of(page, "screening", name), ["ArrowUp"])
    assert page.locator("h1").inner_text() == "Revenir en arrière ?"
    assert "défait cela : confirmez pour le faire" in page.locator("main").inner_text()
    page.get_by_role("link", name="Annuler").click()
    assert card_of(page, "screening", name).count() == 1
    # A drag to another column does the same as the select (an enhancement).
    with page.expect_navigation():
        # Held by its "depuis le…" line (the select and the links inside have their own use).
        card_of(page, "screening", name).locator("p.muted").drag_to(
            column(page, "interview"), target_position={"x": 20, "y": 12}
        )
    assert card_of(page, "interview", name).count() == 1
    page.screenshot(path=str(shots / "job-pipeline.png"), full_page=True)

    # An interview on Monday at 10:00, by video: planned, and its confirmation leaves.
    card_of(page, "interview", name).get_by_role("link", name="Planifier un entretien").click()
    page.fill("#id_day", MONDAY)
    page.fill("#id_clock", "10:00")
    page.fill("#id_video_url", "https://meet.example.com/qa-entretien")
    page.get_by_role("button", name="Le planifier et envoyer la confirmation").click()
    page.wait_for_url(job_url + "*")
    said = page.locator(".flash").inner_text()
    assert "Entretien planifié." in said, said
    assert "L'e-mail de confirmation" in said, said  # else the flash says why it cannot leave
    card = card_of(page, "interview", name)
    assert "Entretien le lundi 23 novembre à 10:00" in card.inner_text()
    mail = mail_to(page, base, name.split()[0], "meet.example.com/qa-entretien")
    assert ("Comment vous préparer" in mail) or ("How to prepare" in mail), mail

    # A first interview took place this morning, by phone: recorded, no e-mail; its
    # feedback is due by the end of the next working day, on Today.
    page.goto(job_url)
    card_of(page, "interview", name).get_by_role("link", name="Planifier un entretien").click()
    page.fill("#id_day", TODAY)
    page.fill("#id_clock", "08:30")
    page.fill("#id_minutes", "30")
    page.fill("#id_place", "Par téléphone")
    page.get_by_label("Il a déjà eu lieu").check()
    page.get_by_role("button", name="Le planifier et envoyer la confirmation").click()
    page.wait_for_url(job_url + "*")
    assert "Entretien enregistré" in page.locator(".flash").inner_text()
    page.goto(base)
    row = page.locator("li.row", has_text=name).filter(has_text="Retour d'entretien").first
    row.wait_for()
    assert "lundi 23 novembre à 19:00" in row.inner_text(), row.inner_text()
    page.screenshot(path=str(shots / "today-feedback.png"))
    assert not errors, errors


def test_the_pipeline_stacks_on_a_phone_and_the_new_pages_pass_axe(demo, browser):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    base, _, _ = demo
    phone, errors = signed_in(browser, base, width=390, height=844)
    phone.goto(base + "jobs/")
    # A job with candidates in its pipeline.
    busy = phone.locator("table.list tbody tr", has=phone.locator("td.num:not(:empty)")).first
    job = busy.locator("a").first.get_attribute("href")
    phone.goto(base + job.lstrip("/"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the pipeline is {width}px wide on a 390px phone"
    first = column(phone, "sourced").bounding_box()
    second = column(phone, "contacted").bounding_box()
    assert second["y"] >= first["y"] + first["height"], "the columns do not stack"
    assert second["x"] == first["x"]
    for path in ("jobs/new/", job.lstrip("/") + "edit/"):
        phone.goto(base + path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path

    page, desk_errors = signed_in(browser, base)
    page.goto(base + job.lstrip("/"))
    interview = page.locator("a.plan").first.get_attribute("href")
    axe = Axe()
    options = {
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"],
    }
    found = {}
    for path in (job.lstrip("/"), job.lstrip("/") + "?q=a", "jobs/new/",
                 job.lstrip("/") + "edit/", interview.lstrip("/")):  # fmt: skip
        page.goto(base + path)
        violations = axe.run(page, options=options).response["violations"]
        if violations:
            found[path] = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert found == {}, found
    assert not errors, errors
    assert not desk_errors, desk_errors
