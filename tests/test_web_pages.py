"""Every page is a real page: error pages in the reader's language with `lang` and a
title, a favicon, stars that say what they show, colours that can be told apart."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

import relance
from relance.pools import links
from tests.web_world import NOW

pytestmark = pytest.mark.django_db

STATIC = Path(relance.__file__).parent / "web" / "static" / "web"


def a_page(response, language, title):
    """The response is a whole page in `language`, titled `title`."""
    body = response.content.decode()
    assert body.lstrip().lower().startswith("<!doctype html>"), body[:200]
    assert f'<html lang="{language}">' in body
    found = re.search(r"<title>(.*?)</title>", body, re.S)
    assert found, body[:300]
    assert title in found.group(1)
    return body


@pytest.mark.parametrize(
    ("language", "title", "said"),
    [
        ("en", "Request not understood", "stars='lots': expected a whole number"),
        ("fr", "Demande incomprise", "stars='lots' : un nombre entier était attendu"),
    ],
)
def test_a_bad_filter_is_a_page_in_the_readers_language(client_of, world, language, title, said):
    response = client_of(world.admin, language).get(reverse("web:candidates") + "?stars=lots")
    assert response.status_code == 400
    body = a_page(response, language, title)
    assert said in body.replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Page not found"), ("fr", "Page introuvable")]
)
def test_a_page_not_found_is_a_page_in_the_readers_language(
    client_of, client, world, language, title
):
    response = client_of(world.admin, language).get("/no/such/page/")
    assert response.status_code == 404
    a_page(response, language, title)
    # Another organisation's candidate: the same page, nothing disclosed.
    other = client_of(world.stranger, language).get(reverse("web:candidate", args=[world.lea.pk]))
    assert other.status_code == 404
    a_page(other, language, title)


def test_an_anonymous_visitor_reads_errors_in_their_browsers_language():
    response = Client().get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    a_page(response, "en", "Page not found")
    response = Client().get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="fr-FR")
    a_page(response, "fr", "Page introuvable")


def test_a_forbidden_request_and_an_expired_form_are_pages(client_of, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    client.cookies["django_language"] = "fr"
    expired = client.post(reverse("web:candidate_act", args=[world.lea.pk, "note"]), {"body": "x"})
    assert expired.status_code == 403
    a_page(expired, "fr", "Le formulaire a expiré")
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en")
    from django.utils import translation

    with translation.override("en"):
        denied = defaults.permission_denied(request, PermissionDenied())
    assert denied.status_code == 403
    a_page(denied, "en", "Not allowed")


def test_a_bad_host_is_a_page_too(client):
    response = client.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    a_page(response, "en", "Request not understood")


def test_a_server_error_is_a_page_in_the_readers_language(client_of, world, monkeypatch):
    from relance.web.views import jobs

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(jobs.experience, "measure", broken)
    client = client_of(world.admin, "fr")
    client.raise_request_exception = False
    response = client.get(reverse("web:jobs"))
    assert response.status_code == 500
    body = a_page(response, "fr", "Un problème est survenu")
    assert "the database went away" not in body


def test_an_expired_candidate_link_is_a_page_in_their_language(world):
    url = links.path(world.lea, "consent", NOW - timedelta(days=90))
    response = Client().get(url)
    assert response.status_code == 410
    a_page(response, "fr", "")  # Léa reads French


def test_the_favicon_is_served_and_linked_from_every_page(client_of, world):
    link = '<link rel="icon" href="/static/web/favicon.svg" type="image/svg+xml">'
    client = client_of(world.admin)
    for url in (reverse("web:today"), reverse("web:candidates"), "/no/such/page/"):
        assert link in client.get(url).content.decode(), url
    assert link in Client().get(reverse("web:login")).content.decode()
    icon = Client().get("/static/web/favicon.svg")  # WhiteNoise, no sign-in needed
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


def test_stars_say_what_they_show(client_of, world):
    world.lea.stars = 2
    world.lea.save(update_fields=["stars"])
    en = client_of(world.admin).get(reverse("web:candidate", args=[world.lea.pk])).content.decode()
    assert (
        '<span class="stars" aria-hidden="true">★★☆</span><span class="sr">2 of 3 stars</span>'
        in en
    )
    fr = client_of(world.admin, "fr").get(reverse("web:today")).content.decode()
    assert '<span class="sr">2 étoiles sur 3</span>' in fr
    assert '<span class="sr">0 étoile sur 3</span>' in fr  # Paul


def luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_borders_the_focus_ring_and_stars_stand_out_against_the_page():
    """WCAG 1.4.11: what shows an input's or a button's edge, and the focus ring, at least
    3:1 against white and the page's background; the stars, text, 4.5:1."""
    css = (STATIC / "relance.css").read_text()
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    for background in ("#ffffff", colours["bg"]):
        assert contrast(colours["border"], background) >= 3, background
        assert contrast(colours["focus"], background) >= 3, background
        assert contrast(colours["star"], background) >= 4.5, background
    assert re.search(r":focus-visible \{ outline: 3px solid var\(--focus\)", css)
    assert "border: 1px solid var(--border)" in css
    # In the header (brand background), the ring is white.
    assert contrast("#ffffff", colours["brand"]) >= 3
    assert ".top :focus-visible { outline-color: #fff; }" in css
