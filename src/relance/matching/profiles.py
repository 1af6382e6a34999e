"""A CV's profile: the skills it shows (each with the line that shows it, and whether it is
only listed), its job titles and its years of experience — worked out when the CV is
stored (matching/signals.py), read by the score (matching/score.py).

The text is read after its protected information and the person's names are removed
(matching/text.py): a line quoted as evidence never shows an address or an age."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from relance.matching import recognise, text, vocabulary
from relance.matching.models import Profile

# "6 ans d'expérience", "10+ years of experience", "expérience : 8 ans", "5 yrs experience".
_YEARS = re.compile(
    r"(\d{1,2})\s*\+?\s*(?:ans|annees|years?|yrs)\s*(?:d\s*|of\s+|de\s+)?(?:experience|xp)\b"
    r"|\bexperience\s*:?\s*(?:de\s+)?(\d{1,2})\s*\+?\s*(?:ans|annees|years?|yrs)\b"
)
# A period of work: "2015 - 2020", "2018 – aujourd'hui", "2019 to present" (read folded:
# the dash is a space by then).
_PERIOD = re.compile(
    r"\b((?:19|20)\d\d)\s*(?:-|–|—|a\b|au\b|to\b|until\b)?\s*"
    r"((?:19|20)\d\d|aujourd hui|present|now|current|ce jour|actuel(?:lement)?)\b"
)
MOST_YEARS = 45


@dataclass(frozen=True)
class Read:
    skills: dict[str, dict[str, Any]]
    titles: list[str]
    years: int | None


def cleaned(cv_text: str, names: Iterable[str]) -> str:
    return text.without_names(text.without_personal(cv_text), [n for n in names if n])


def years_in(cv_text: str, this_year: int | None) -> int | None:
    """Years of experience: what the text says ("6 ans d'expérience"), else (with
    `this_year`: a CV, not a job) the span from the first period of work to the last one's
    end (a period "to date" ends this year)."""
    folded = text.fold(cv_text)
    said = [int(a or b) for a, b in _YEARS.findall(folded)]
    if said:
        return min(max(said), MOST_YEARS)
    if this_year is None:
        return None
    starts, ends = [], []
    for start, end in _PERIOD.findall(folded):
        first = int(start)
        last = int(end) if end[:2].isdigit() else this_year
        if first <= last <= this_year:
            starts.append(first)
            ends.append(last)
    if not starts:
        return None
    return min(max(ends) - min(starts), MOST_YEARS)


def read(cv_text: str, names: Iterable[str], this_year: int) -> Read:
    plain = cleaned(cv_text, names)
    skills: dict[str, dict[str, Any]] = {}
    titles: list[str] = []
    for concept, mention in sorted(recognise.evidence(plain).items()):
        if vocabulary.concept(concept).kind == "title":
            titles.append(concept)
        else:
            skills[concept] = {"line": mention.text, "listed": mention.listed}
    # A narrower tech skill shows its broader one: "Spring Boot" shows Spring, "GitLab CI"
    # shows GitLab (when the vocabulary has it).
    for concept in sorted(skills):
        if concept.startswith("tech:") and "-" in concept:
            broader = concept.split("-", 1)[0]
            if broader not in skills and _known(broader):
                skills[broader] = skills[concept]
    return Read(dict(sorted(skills.items())), titles, years_in(plain, this_year))


def _known(concept: str) -> bool:
    try:
        vocabulary.concept(concept)
    except LookupError:
        return False
    return True


def refresh(cv: Any) -> Profile | None:
    """The CV's profile computed again (none for a CV without text)."""
    if not cv.text:
        Profile.objects.filter(cv_id=cv.id).delete()
        return None
    candidate = cv.candidate
    found = read(cv.text, [candidate.first_name, candidate.last_name], cv.uploaded_at.year)
    profile, _ = Profile.objects.update_or_create(
        cv_id=cv.id,
        defaults={"skills": found.skills, "titles": found.titles, "years": found.years},
    )
    return profile
