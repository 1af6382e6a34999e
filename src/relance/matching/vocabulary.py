"""The skills and job titles Relance recognises, in French and English: ESCO (European
Commission), ROME 4.0 (France Travail) and our own tech list (data/tech.txt), built into
data/vocabulary.json.gz by scripts/build_vocabulary.py and read once per process from the
package, without network (data/NOTICE.md: sources, licences and attribution).

A concept's id is stable across rebuilds: `esco:<uuid>` (the ESCO concept URI's last part),
`rome:<code>` (a ROME métier) or `tech:<slug>` (tech.txt). Its `labels` are the folded
forms (text.fold) that name it and no other concept.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

FILE = Path(__file__).resolve().parent / "data" / "vocabulary.json.gz"


@dataclass(frozen=True)
class Concept:
    id: str
    kind: Literal["skill", "title"]
    fr: str
    en: str
    labels: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.fr if (language or "").lower().startswith("fr") else self.en


@dataclass(frozen=True)
class Vocabulary:
    concepts: dict[str, Concept]
    # folded labels that are ordinary words too ("go", "spring"): recognised only near
    # another tech term or in a list of skills (see recognise.py)
    ambiguous: frozenset[str]


@lru_cache(maxsize=1)
def load() -> Vocabulary:
    with gzip.open(FILE, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    concepts = {
        cid: Concept(cid, kind, fr, en, tuple(labels))
        for cid, kind, fr, en, labels in data["concepts"]
    }
    return Vocabulary(concepts, frozenset(data["ambiguous"]))


def concept(cid: str) -> Concept:
    """The concept of an id; LookupError when the shipped vocabulary has no such id."""
    try:
        return load().concepts[cid]
    except KeyError:
        raise LookupError(f"no concept {cid!r} in the vocabulary") from None


def name(cid: str, language: str) -> str:
    """The concept's preferred name in the reader's language ("fr…" or else English); an id
    the vocabulary no longer has (a requirement kept from an older build) is shown as is."""
    found = load().concepts.get(cid)
    return found.name(language) if found else cid
