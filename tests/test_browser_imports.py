"""The import page in a real browser (Debian's Chromium through Playwright), on the demo, in
French on a 390 px phone: a LinkedIn connections export (its "Notes:" preamble) uploaded,
its layout recognised and each column's field shown, the first rows previewed, imported in
the background with the progress polled until the result; no page wider than the phone.

Screenshots go to $RELANCE_SCREENSHOTS when set, else to a temporary folder."""

from __future__ import annotations

from tests import importfiles
from tests.test_browser import (  # noqa: F401 (fixtures)
    browser,
    demo,
    pytestmark,
    shots,
    signed_in,
)

ROWS = [
    ["Inès", "Navigateur", "https://www.linkedin.com/in/ines-navigateur", "", "Acme", "Dev",
     "12 Jan 2024"],
    ["Omar", "Chromium", "", "omar.chromium@example.org", "Globex", "CTO", "03 Feb 2023"],
    ["Sans", "Date", "", "", "", "", "bientôt"],
]  # fmt: skip


def test_a_linkedin_export_is_imported_on_a_phone_in_french(demo, browser, shots, tmp_path):  # noqa: F811
    base, _, _ = demo
    page, errors = signed_in(browser, base, locale="fr-FR", width=390, height=844)
    page.goto(base + "candidates/")
    page.get_by_role("link", name="Importer un fichier").click()
    page.get_by_role("heading", name="Importer des candidats").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    path = tmp_path / "Connections.csv"
    path.write_bytes(importfiles.linkedin_connections(ROWS))
    page.get_by_label("Fichier").set_input_files(str(path))
    page.get_by_role("button", name="Lire le fichier").click()

    page.get_by_role("heading", name="Importer « Connections.csv »").wait_for()
    reading = page.locator("[data-testid=reading]").inner_text()
    assert "séparateur « , »" in reading
    assert "3 ligne(s) après l’en-tête (ligne 4)" in reading
    assert "Format reconnu : Export des relations LinkedIn" in reading
    url = page.get_by_label("Champ de la colonne « URL »")
    assert url.input_value() == "linkedin_url"
    assert page.get_by_label("Champ de la colonne « Connected On »").input_value() == "date"
    preview = page.locator("[data-testid=preview]").inner_text()
    assert "Inès Navigateur" in preview
    assert "Connected On: « bientôt »" in preview
    wide = page.evaluate(
        """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right + ' ' + (e.name||'')).slice(0, 15)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    page.screenshot(path=str(shots / "import-mapping-phone.png"), full_page=True)

    # With the keyboard: a tag for everyone, then "Importer".
    page.get_by_label("Étiquettes (séparées par des virgules)").fill("réseau")
    page.get_by_role("button", name="Importer", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Import terminé").wait_for(timeout=30_000)
    assert page.locator("[data-count=created]").inner_text() == "2"
    assert page.locator("[data-count=refused]").inner_text() == "1"
    assert page.get_by_role(
        "link", name="Télécharger les lignes refusées, avec le motif (CSV)"
    ).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "import-result-phone.png"), full_page=True)

    page.goto(base + "candidates/?q=Navigateur")
    assert "Inès Navigateur" in page.content()
    assert errors == [], errors
