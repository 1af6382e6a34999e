"""Everything a recruiter reads in the web app exists in French: the catalogue covers every
string marked for translation, and the compiled catalogue shipped is the one of the .po."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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
