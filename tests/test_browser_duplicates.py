"""Duplicates in a real browser (Debian's Chromium through Playwright), on the demo, in
English on a 390 px phone: two records of one person (the same LinkedIn profile), found on
the duplicates page with why, reviewed with the keyboard (the record kept, a field's value
chosen), merged; the page fits the phone.

Screenshots go to $RELANCE_SCREENSHOTS when set, else to a temporary folder."""

from __future__ import annotations

from tests.test_browser import (  # noqa: F401 (fixtures)
    browser,
    demo,
    pytestmark,
    shots,
    signed_in,
)

PROFILE = "https://www.linkedin.com/in/ava-twin-browser"


def add(page, base, first, last, role):
    page.goto(base + "candidates/new/")
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("LinkedIn profile").fill(PROFILE)
    page.get_by_label("Desired role").fill(role)
    page.get_by_label("Source").select_option("linkedin")
    page.get_by_role("button", name="Add the candidate").click()
    page.get_by_role("heading", name=f"{first} {last}").wait_for()
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def violations(page):
    """axe-core's WCAG 2.1 A/AA violations on the page (their ids)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"],
    }
    return [v["id"] for v in Axe().run(page, options=options).response["violations"]]


def test_a_pair_is_merged_on_a_phone_in_english(demo, browser, shots):  # noqa: F811
    base, _, _ = demo
    page, errors = signed_in(browser, base, locale="en-GB", width=390, height=844)
    older = add(page, base, "Ava", "Twin", "Data engineer")
    newer = add(page, base, "Ava", "Twin-Smith", "Data architect")

    page.goto(base + "duplicates/")
    assert page.locator("h1").inner_text() == "Possible duplicates"
    pair = page.locator("[data-testid=pair]", has_text="Twin-Smith")
    assert "Same LinkedIn profile" in pair.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "duplicates-phone.png"), full_page=True)
    assert violations(page) == []
    pair.get_by_role("link", name="Review and merge").click()
    page.get_by_role("heading", name="Merge two records").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    assert violations(page) == []
    # With the keyboard: keep the newer record, but the older one's desired role.
    page.locator(f"input[name=keep][value='{newer}']").focus()
    page.keyboard.press("Space")
    assert page.locator(f"input[name=keep][value='{newer}']").is_checked()
    page.locator(f"input[name=field_desired_role][value='{older}']").focus()
    page.keyboard.press("Space")
    page.screenshot(path=str(shots / "duplicate-review-phone.png"), full_page=True)
    page.get_by_role("button", name="Merge", exact=True).focus()
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Ava Twin-Smith").wait_for()
    assert page.url.rstrip("/").endswith(f"/candidates/{newer}")
    assert "keeps both records' history" in page.locator(".flash").inner_text()
    assert "Data engineer" in page.content()
    page.goto(base + f"candidates/{older}/")
    assert "Twin" not in page.locator("h1").inner_text()  # gone: a 404 page
    page.goto(base + "duplicates/")
    assert "Twin-Smith" not in page.content()
    assert [e for e in errors if "404" not in e] == [], errors
