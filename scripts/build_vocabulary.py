"""Build src/relance/matching/data/vocabulary.json.gz, the skills and job titles Relance
recognises in CVs and job offers (docs/matching.md, "Skills and titles").

    .venv/bin/python scripts/build_vocabulary.py [--esco DIR] [--rome DIR] [--out FILE]

(the folders default to ../shared/data/esco and ../shared/data/rome beside the checkout)

Sources (read from disk, nothing downloaded):
- ESCO v1 (European Commission, free reuse with attribution, Decision 2011/833/EU): skills
  and knowledge (skills_fr.csv, skills_en-us.csv) and occupations (occupations_fr.csv,
  occupations_en.csv, occupations_en-us.csv), joined on their conceptUri: each concept has
  its French and English labels, so "gestion de projets" and "project management" are one.
- ROME 4.0 v460 (France Travail, Licence Ouverte / Etalab 2.0): the 1,584 métiers with
  their 13,120 job titles (appellations), French only.
- matching/data/tech.txt: our own list of tech terms and cross-language job titles.

Only what recognition needs is kept: ids, kinds, the preferred French and English names and
the folded labels (no descriptions, no hierarchy). A label belongs to one concept: tech.txt
first, then ESCO preferred labels, then ESCO alternative labels, then ROME titles; a label
that two concepts claim at the same level is dropped (it names neither for sure), and so is
a one-word alternative label that is not an acronym ("supervisor", "docker", "control") or
an everyday word (COMMON_WORDS). ESCO
concepts whose preferred name is one of tech.txt's (ESCO's "Java") are left out: tech.txt's
concept stands for them. The output is deterministic (sorted, gzip without a timestamp).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from relance.matching.recognise import label_key  # noqa: E402
from relance.matching.text import fold  # noqa: E402

DATA = ROOT / "src" / "relance" / "matching" / "data"
TECH, ESCO_PREFERRED, ESCO_ALTERNATIVE, ROME = 0, 1, 2, 3
MAX_WORDS = {"skill": 5, "title": 6}


# Everyday words that ESCO or ROME use as a whole label ("général/générale" is an army
# general, "guide" a tour guide): never a label on their own.
_COMMON = "general generale guide source medium principal charge course line control machine"
COMMON_WORDS = frozenset((_COMMON + " effort stand concrete devise sensitive history").split())


def _acronym(label: str) -> bool:
    """ "MDM", "SDLC", "DB2": a label written as an acronym names one thing."""
    bare = label.strip()
    return len(bare) >= 2 and bare.replace("-", "").isalnum() and bare.isupper()


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def variants(label: str, kind: str) -> list[str]:
    """A source label and the forms people write: without its parentheses ("Java (computer
    programming)" -> "Java"), each gender of a title ("développeur web/développeuse web",
    "Consultant fonctionnel / Consultante fonctionnelle des SI"), its acronym in brackets."""
    found = [label]
    bare = re.sub(r"\s*[\(\[][^\)\]]*[\)\]]", "", label).strip(" -")
    if bare and bare != label:
        found.append(bare)
    for acronym in re.findall(r"[\(\[-]([A-Z][A-Z0-9]{2,6})[\)\]-]", label):
        found.append(acronym)
    if kind == "title":
        for form in list(found):
            if "/" in form:
                first, _, second = (part.strip() for part in form.partition("/"))
                found += [first, second]
                first_words, second_words = first.split(), second.split()
                if len(second_words) > len(first_words):  # "Abatteur / Abatteuse de carrière"
                    found.append(" ".join(first_words + second_words[len(first_words) :]))
    return found


class Builder:
    def __init__(self) -> None:
        self.concepts: dict[str, dict[str, object]] = {}
        # key -> {level: {concept ids}} and key -> a folded label written for it
        self.claims: dict[tuple[str, ...], dict[int, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self.written: dict[tuple[str, ...], str] = {}
        self.ambiguous: set[str] = set()

    def add(self, cid: str, kind: str, fr: str, en: str) -> None:
        self.concepts[cid] = {"kind": kind, "fr": fr.strip(), "en": en.strip()}

    def claim(self, cid: str, label: str, level: int) -> None:
        kind = str(self.concepts[cid]["kind"])
        for form in variants(label, kind) if level != TECH else [label]:
            folded = fold(form)
            key = label_key(folded)
            if not key or len(key) > MAX_WORDS[kind] or (len(folded) < 2 and level != TECH):
                continue
            if folded.isdigit():
                continue
            if level != TECH and len(key) == 1 and key[0] in COMMON_WORDS:
                continue
            if level >= ESCO_ALTERNATIVE and len(key) == 1 and not _acronym(form):
                continue  # "supervisor", "docker", "control", "machine": too loose
            self.claims[key][level].add(cid)
            self.written.setdefault(key, folded)

    def result(self) -> dict[str, object]:
        labels: dict[str, set[str]] = defaultdict(set)
        for key, levels in self.claims.items():
            best = min(levels)
            owners = levels[best]
            if len(owners) > 1:
                if best == TECH:
                    raise SystemExit(f"tech.txt: “{' '.join(key)}” is in {sorted(owners)}")
                continue
            labels[next(iter(owners))].add(self.written[key])
        rows = [
            [cid, c["kind"], c["fr"], c["en"], sorted(labels[cid])]
            for cid, c in sorted(self.concepts.items())
            if labels.get(cid)
        ]
        return {
            "attribution": (
                "ESCO classification, European Commission (free reuse with attribution, "
                "Decision 2011/833/EU); ROME 4.0 v460, France Travail — ROME, Licence Ouverte "
                "2.0; tech.txt, Relance"
            ),
            "concepts": rows,
            "ambiguous": sorted(self.ambiguous),
        }


def tech(builder: Builder, path: Path) -> set[tuple[str, ...]]:
    keys: set[tuple[str, ...]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            head, fr, en, synonyms = (part.strip() for part in line.split("|"))
            kind, slug = head.split()
        except ValueError:
            raise SystemExit(f"{path}:{number}: expected “kind slug | fr | en | a; b; c”") from None
        if kind not in MAX_WORDS:
            raise SystemExit(f"{path}:{number}: kind is “skill” or “title”, not “{kind}”")
        cid = f"tech:{slug}"
        builder.add(cid, kind, fr, en)
        for label in [fr, en, *synonyms.split(";")]:
            label = label.strip()
            if label.startswith("?"):
                label = label[1:]
                builder.ambiguous.add(fold(label))
            if label:
                builder.claim(cid, label, TECH)
                keys.add(label_key(fold(label)))
    return keys


def esco(builder: Builder, folder: Path, taken: set[tuple[str, ...]]) -> None:
    def alternatives(row: dict[str, str]) -> list[str]:
        return [label for label in row["altLabels"].split("\n") if label.strip()]

    sources = [
        ("skill", ["skills_fr.csv"], ["skills_en-us.csv"]),
        ("title", ["occupations_fr.csv"], ["occupations_en.csv", "occupations_en-us.csv"]),
    ]
    for kind, french_files, english_files in sources:
        french = {row["conceptUri"]: row for name in french_files for row in read(folder / name)}
        english: dict[str, list[dict[str, str]]] = defaultdict(list)
        for name in english_files:
            for row in read(folder / name):
                english[row["conceptUri"]].append(row)
        for uri, fr_row in sorted(french.items()):
            en_rows = english.get(uri)
            if not en_rows:
                continue
            english_names = [row["preferredLabel"] for row in en_rows] + alternatives(en_rows[0])
            french_names = [fr_row["preferredLabel"], *alternatives(fr_row)]
            # a few ESCO concepts lack a preferred label in one language: its first other
            # label, else the other language's name
            fr_name = next((n for n in french_names if n.strip()), "")
            en_name = next((n for n in english_names if n.strip()), "")
            preferred = [fr_name or en_name, en_name or fr_name]
            if any(
                label_key(fold(form)) in taken
                for label in preferred
                for form in variants(label, kind)
            ):
                continue  # tech.txt's concept stands for it
            cid = "esco:" + uri.rsplit("/", 1)[-1]
            builder.add(cid, kind, preferred[0], preferred[1])
            for label in preferred + [
                row["preferredLabel"] for row in en_rows[1:] if row["preferredLabel"]
            ]:
                builder.claim(cid, label, ESCO_PREFERRED)
            for label in alternatives(fr_row) + [a for row in en_rows for a in alternatives(row)]:
                builder.claim(cid, label, ESCO_ALTERNATIVE)


def whole(title: str) -> list[str]:
    """A title's whole forms: its variants but a lone first word of a split ("Conducteur /
    Conductrice d'engins" is not "conducteur")."""
    words = len(title.split())
    return [form for form in variants(title, "title") if words == 1 or len(form.split()) > 1]


def rome(builder: Builder, folder: Path) -> None:
    """ROME's métiers as job titles. ROME is French only: a métier's English name is that of
    the ESCO occupation its name is (the same folded French label, either gender), else its
    French name (its other titles are too loose a guide: "agent de nettoyage industriel")."""
    english: dict[str, str] = {}
    for cid, concept in sorted(builder.concepts.items()):
        if cid.startswith("esco:") and concept["kind"] == "title":
            for form in whole(str(concept["fr"])):
                english.setdefault(fold(form), str(concept["en"]))
    titles: dict[str, list[str]] = defaultdict(list)
    for title in read(folder / "unix_referentiel_appellation_v460_utf8.csv"):
        titles[title["code_rome"]] += [
            title["libelle_appellation_court"],
            title["libelle_appellation_long"],
        ]
    for job in read(folder / "unix_referentiel_code_rome_v460_utf8.csv"):
        cid, name = f"rome:{job['code_rome']}", job["libelle_rome"]
        labels = [name, *titles[job["code_rome"]]]
        in_english = next(
            (english[fold(form)] for form in whole(name) if fold(form) in english),
            name,
        )
        builder.add(cid, "title", name, in_english)
        for label in labels:
            builder.claim(cid, label, ROME)


def main(argv: list[str] | None = None) -> int:
    shared = ROOT.parent / "shared" / "data"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--esco", type=Path, default=shared / "esco")
    parser.add_argument("--rome", type=Path, default=shared / "rome")
    parser.add_argument("--out", type=Path, default=DATA / "vocabulary.json.gz")
    options = parser.parse_args(argv)

    builder = Builder()
    taken = tech(builder, DATA / "tech.txt")
    esco(builder, options.esco, taken)
    rome(builder, options.rome)
    built = builder.result()
    payload = json.dumps(built, ensure_ascii=False, separators=(",", ":")).encode()
    with (
        options.out.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out,
    ):
        out.write(payload)
    concepts = built["concepts"]
    assert isinstance(concepts, list)
    print(
        f"{options.out}: {len(concepts)} concepts, "
        f"{sum(len(row[4]) for row in concepts)} labels, {options.out.stat().st_size:,} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
