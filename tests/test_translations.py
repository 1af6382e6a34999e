"""Everything a recruiter reads in the web app exists in French: the catalogue covers every
string marked for translation, and the compiled catalogue shipped is the one of the .po."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import relance

PACKAGE = Path(relance.__file__).parent
PO = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def entries(text: str) -> dict[tuple[str | None, str], str]:
    """(context, id) -> translation, from a .po file's text."""
    out = {}
    for block in text.split("\n\n"):
        ctx = re.search(r'^msgctxt "(.*)"$', block, re.M)
        found = re.search(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', block, re.M)
        if not found:
            continue
        msgid = "".join(re.findall(r'"(.*)"', found.group(1)))
        msgstr = "".join(re.findall(r'"(.*)"', found.group(2)))
        if msgid:
            out[(ctx.group(1) if ctx else None, msgid)] = msgstr
    return out


def test_every_string_is_translated_into_french():
    catalogue = entries(PO.read_text(encoding="utf-8"))
    assert len(catalogue) > 200
    missing = [key for key, text in catalogue.items() if not text]
    assert not missing
    fuzzy = "#, fuzzy" in PO.read_text(encoding="utf-8").split('msgid ""', 1)[1]
    assert not fuzzy


def test_the_shipped_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for (ctx, msgid), text in entries(PO.read_text(encoding="utf-8")).items():
        unescaped = (msgid.replace('\\"', '"'), text.replace('\\"', '"'))
        if ctx is None:
            assert compiled.gettext(unescaped[0]) == unescaped[1], msgid
        else:
            assert compiled.pgettext(ctx, unescaped[0]) == unescaped[1], msgid


def test_the_catalogue_holds_every_string_marked_in_the_code_and_templates(tmp_path):
    """makemessages (xgettext) run on a copy of the package finds no string the
    catalogue lacks: nothing a recruiter reads is left in English only."""
    copy = tmp_path / "relance"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "relance.settings",
           "RELANCE_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "fr", "--no-location",
         "--no-obsolete", "-i", "migrations/*"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = set(entries((copy / "locale/fr/LC_MESSAGES/django.po").read_text(encoding="utf-8")))
    shipped = set(entries(PO.read_text(encoding="utf-8")))
    assert found - shipped == set(), "strings to translate: run makemessages (see django.po)"
    assert shipped - found == set(), "strings no longer used: run makemessages --no-obsolete"


# --- no code shown raw ----------------------------------------------------------------------

# Codes that are also ordinary French words where they appear ("Entretien final", "une note",
# "le message"): a page may say them as words.
FRENCH_WORDS = {"final", "note", "message", "application", "post", "form", "link", "event"}


def every_code() -> set[str]:
    """Every code of the domain a page could show: stages, channels, situations, reasons,
    roles, purposes, campaign states, touch kinds, outcomes, sources, topics, rhythms."""
    from relance.engine import BounceKind, CallOutcome, Channel, Purpose, Situation, Stage, reasons
    from relance.engine.types import TouchKind
    from relance.people.models import Recruiter, Source
    from relance.pools.models import Campaign, Frequency, Topic
    from relance.web import labels

    codes: set[str] = set(reasons.known_codes())
    for enum in (Stage, Channel, Situation, Purpose, TouchKind, CallOutcome, BounceKind):
        codes |= {member.value for member in enum}
    for choices in (Recruiter.Role, Campaign.Status, Source, Topic, Frequency):
        codes |= set(choices.values)
    codes |= set(labels.TRIGGERS) | set(labels.EXCLUSIONS) | set(labels.SKIP_REASONS)
    return codes - FRENCH_WORDS


class Visible(HTMLParser):
    """The words a reader sees (or hears: aria-label, title, placeholder), without what a
    page shows on purpose as code or as someone's text (code, pre, textarea)."""

    HIDDEN = {"script", "style", "code", "pre", "textarea", "head"}

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.words.append(value)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.words.append(data)


def visible_text(page: str) -> str:
    parser = Visible()
    parser.feed(page)
    return " ".join(parser.words)


def raw_codes(page: str, codes: set[str]) -> set[str]:
    text = visible_text(page)
    return {code for code in codes if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)}


def a_world_with_every_code(world):
    """The web tests' agency, with a timeline holding every kind of touchpoint, every
    channel and outcome, applications at every stage, consents for every purpose, stopped
    follow-ups with their reasons, a campaign in every state and a tag rule."""
    from relance.engine import BounceKind, CallOutcome, Channel, Purpose, Stage
    from relance.engine.types import TouchKind
    from relance.followups import services
    from relance.followups.events import Event, EventType
    from relance.followups.models import Touchpoint
    from relance.people.models import Application, Job
    from relance.pools import campaigns, consent
    from relance.pools.models import Campaign, Segment, TagRule
    from relance.web import labels
    from tests import web_world

    at = web_world.T0
    lea = world.lea
    outcomes = {
        TouchKind.CALL: list(CallOutcome),
        TouchKind.BOUNCE: list(BounceKind),
        TouchKind.STAGE_CHANGE: list(Stage),
        TouchKind.CONSENT_GIVEN: list(Purpose),
        TouchKind.CONSENT_WITHDRAWN: list(Purpose),
        TouchKind.TRIGGER: list(labels.TRIGGERS),
    }
    for kind in TouchKind:
        for channel in Channel:
            for outcome in outcomes.get(kind, [""]):
                Touchpoint.objects.create(organisation=world.org, candidate=lea, kind=kind,
                                          channel=channel, outcome=outcome, at=at,
                                          direction="in")  # fmt: skip
    consent.record_choices(lea, {p.value for p in Purpose}, {"job_offers": "weekly"}, at)
    for stage in Stage:
        job = Job.objects.create(organisation=world.org, title=f"Poste {stage.value[:2]}",
                                 created_at=at)  # fmt: skip
        Application.objects.create(organisation=world.org, candidate=lea, job=job, stage=stage,
                                   stage_changed_at=at)  # fmt: skip
    # Stopped follow-ups: an answer by phone, a stage change.
    services.record_event(Event(EventType.REPLY_RECEIVED, web_world.NOW, lea,
                                channel=Channel.PHONE), web_world.NOW)  # fmt: skip
    services.record_event(Event(EventType.STAGE_CHANGED, web_world.NOW, world.paul,
                                job=world.job, outcome=Stage.INTERVIEW), web_world.NOW)  # fmt: skip
    segment = Segment.objects.create(organisation=world.org, name="Tous", definition={},
                                     created_at=at)  # fmt: skip
    for status in Campaign.Status:
        Campaign.objects.create(organisation=world.org, name=f"Campagne {status.value[:3]}",
                                segment=segment, status=status, created_at=at,
                                scheduled_at=web_world.NOW, **campaigns.default_texts())  # fmt: skip
    TagRule.objects.create(organisation=world.org, tag="finaliste", stage="rejected",
                           reached="final", created_at=at)  # fmt: skip


@pytest.mark.django_db
def test_no_page_shows_a_code_raw_in_french(client_of, world):
    """Rendered in French with a world that uses every code, the main pages show none of
    them as a word: `talent_pool`, `phone`, `sourced`, `scheduled`, `admin`… each has its
    label (web/labels.py)."""
    from django.urls import reverse

    from relance.pools.models import Campaign

    a_world_with_every_code(world)
    client = client_of(world.admin, "fr")
    urls = [
        reverse("web:today"), reverse("web:today") + "?team=1", reverse("web:candidates"),
        reverse("web:candidate", args=[world.lea.pk]), reverse("web:candidate", args=[world.paul.pk]),
        reverse("web:jobs"), reverse("web:job", args=[world.job.pk]), reverse("web:pools"),
        reverse("web:campaigns"), reverse("web:campaign_new"), reverse("web:templates"),
        reverse("web:template", args=["first_message.1.email", "fr"]), reverse("web:settings"),
        *[reverse("web:campaign", args=[c.pk]) for c in Campaign.objects.all()],
    ]  # fmt: skip
    codes = every_code()
    shown = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found = raw_codes(response.content.decode(), codes)
        text = visible_text(response.content.decode())
        found |= {mark for mark in ("{#", "#}", "{% comment", "endcomment") if mark in text}
        if found:
            shown[url] = sorted(found)
    assert shown == {}


def test_the_raw_code_check_sees_a_code_and_ignores_code_on_purpose():
    codes = {"talent_pool", "phone", "sourced"}
    assert raw_codes("<p>Consentement donné talent_pool</p>", codes) == {"talent_pool"}
    assert raw_codes("<p>a répondu (phone)</p>", codes) == {"phone"}
    assert raw_codes('<option value="sourced">Sourcé</option>', codes) == set()
    assert raw_codes("<p><code>first_message.1.phone</code> +33 phone-free</p>", codes) == set()
    assert raw_codes('<span aria-label="sourced">x</span>', codes) == {"sourced"}
