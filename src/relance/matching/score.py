"""A CV's score for a job, 0 to 100, with what it rests on.

Four parts, each between 0 and 1, weighed (the parts a job does not ask about are left
out and the others weigh more):

- skills (0.50): the job's requirements the CV shows, a must-have weighing MUST_WEIGHT
  times a nice-to-have; a skill counts fully only when the CV shows it in use (a sentence,
  an experience line); a skill only listed ("Compétences : a, b, c") counts LISTED of it.
  So a skills line stuffed with every keyword cannot reach 100;
- lexical (0.30): BM25 of the CV against the job's words (matching/index.py), divided by
  the highest BM25 those words could give (each word's IDF × (k1 + 1)), so that the score
  is comparable across jobs of different lengths, then saturated (LEXICAL_FULL of that
  ceiling counts as full): a long CV cannot reach it by repeating words, BM25 saturates;
- title (0.12): the CV names one of the job titles of the job's title;
- seniority (0.08): the years of experience the CV shows against those the job asks.

Nothing else takes part: names, age, address, nationality, gender, photo are removed
from the text before it is read (matching/text.py) and no field of the candidate is read.
The same inputs give the same score: no randomness, no clock, sums in a fixed order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from relance.matching import index, vocabulary

MUST_WEIGHT = 3.0
NICE_WEIGHT = 1.0
LISTED = 0.3
LEXICAL_FULL = 0.45
PARTS = {"skills": 0.50, "lexical": 0.30, "title": 0.12, "seniority": 0.08}


@dataclass(frozen=True)
class Need:
    """What a job asks for: its requirements (concept, "must"|"nice"), the job titles of its
    title, the years of experience it asks for, and the stemmed words of its text."""

    requirements: tuple[tuple[str, str], ...]
    titles: tuple[str, ...]
    years: int | None
    stems: tuple[str, ...]


@dataclass(frozen=True)
class Score:
    value: int
    # (concept, the CV line that shows it), in the order of the requirements.
    matched: list[tuple[str, str]]
    missing: list[str]
    # A reason code and its parameters; the sentence: reason_text(score, language).
    reason: str
    params: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)


def ceiling(idf: Mapping[str, float]) -> float:
    """The highest BM25 these words could give a document."""
    return sum(idf[stem] for stem in sorted(idf)) * (index.K1 + 1)


def lexical(bm25: float, top: float) -> float:
    if top <= 0:
        return 0.0
    return min(1.0, bm25 / top / LEXICAL_FULL)


def score(
    need: Need,
    skills: Mapping[str, Mapping[str, Any]],
    titles: Sequence[str],
    years: int | None,
    bm25: float,
    top: float,
) -> Score:
    """The score of a CV (its profile: skills, titles, years; its BM25 for the job's words)
    for a job (`need`; `top` is `ceiling` of its words)."""
    parts: dict[str, float] = {"lexical": lexical(bm25, top)}
    matched: list[tuple[str, str]] = []
    missing: list[str] = []
    listed_only: list[str] = []
    missing_must: list[str] = []
    if need.requirements:
        got = total = 0.0
        for concept, weight in need.requirements:
            size = MUST_WEIGHT if weight == "must" else NICE_WEIGHT
            total += size
            shown = skills.get(concept)
            if shown is None:
                missing.append(concept)
                if weight == "must":
                    missing_must.append(concept)
                continue
            matched.append((concept, str(shown.get("line", ""))))
            if shown.get("listed"):
                listed_only.append(concept)
                got += size * LISTED
            else:
                got += size
        parts["skills"] = got / total
    if need.titles:
        parts["title"] = 1.0 if set(need.titles) & set(titles) else 0.0
    if need.years:
        parts["seniority"] = min(1.0, (years or 0) / need.years)
    weights = sum(PARTS[name] for name in sorted(parts))
    value = sum(PARTS[name] * parts[name] for name in sorted(parts)) / weights
    # Rounded half up, once: 0-100.
    result = max(0, min(100, math.floor(value * 100 + 0.5)))
    reason, params = _reason(need, matched, missing_must, listed_only, parts)
    return Score(result, matched, missing, reason, params, parts)


def _reason(
    need: Need,
    matched: list[tuple[str, str]],
    missing_must: list[str],
    listed_only: list[str],
    parts: Mapping[str, float],
) -> tuple[str, dict[str, Any]]:
    """The one thing a recruiter should know first, as a code and its parameters."""
    if not need.requirements:
        return "text_only", {"lexical": round(parts["lexical"] * 100)}
    if missing_must:
        return "missing_must", {"concepts": missing_must, "count": len(missing_must)}
    if listed_only:
        return "listed_only", {"concepts": listed_only, "count": len(listed_only)}
    if not matched:
        return "none", {}
    musts = sum(1 for _, weight in need.requirements if weight == "must")
    return "shown", {
        "count": len(matched),
        "total": len(need.requirements),
        "musts": musts,
    }


def _names(concepts: Sequence[str], language: str, most: int = 4) -> str:
    names = [vocabulary.name(concept, language) for concept in concepts[:most]]
    if len(concepts) > most:
        names.append("…")
    return ", ".join(names)


def reason_text(result: Score, language: str) -> str:
    """The score's reason as one sentence in this language ("fr" or "en")."""
    params = result.params
    with translation.override(language):
        if result.reason == "text_only":
            return _(
                "No requirement marked for this job: the score rests on the words of its text."
            )
        if result.reason == "missing_must":
            return ngettext(
                "Missing a must-have skill: %(names)s.",
                "Missing %(count)s must-have skills: %(names)s.",
                params["count"],
            ) % {"count": params["count"], "names": _names(params["concepts"], language)}
        if result.reason == "listed_only":
            return ngettext(
                "Every must-have skill is there, but %(names)s is only listed, not shown in "
                "experience.",
                "Every must-have skill is there, but %(count)s are only listed, not shown in "
                "experience: %(names)s.",
                params["count"],
            ) % {"count": params["count"], "names": _names(params["concepts"], language)}
        if result.reason == "none":
            return _("None of the job's skills is in this CV.")
        return _("Shows %(count)s of the job's %(total)s skills in experience.") % params
