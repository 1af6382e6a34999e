"""The CV bank ranked for a job (or any offer's text): the index finds the candidates
whose CVs share the job's words (and the words of its skills in both languages, so that a
French CV is found for an English offer), then each is scored (matching/score.py) from its
CV's profile. Order: score, best first, then candidate id — the same every time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relance.intake.models import CV
from relance.matching import index, profiles, requirements, score, text, vocabulary
from relance.matching.models import Profile
from relance.people.models import Candidate

# How many candidates the index hands to the score, at the least and per place asked.
POOL = 500
POOL_PER_PLACE = 5


@dataclass(frozen=True)
class Match:
    candidate: int
    score: score.Score
    cv: int


def need_of_text(offer: str, title: str = "") -> score.Need:
    """What an offer's text asks for (its first line is its title when none is given)."""
    if not title:
        lines = [line.strip() for line in offer.splitlines() if line.strip()]
        title = lines[0] if lines else ""
    found = requirements.found_in(title, offer)
    return _need(sorted(found.items()), requirements.titles_of(title), title + "\n" + offer)


def need_of_job(job: Any) -> score.Need:
    """What a job asks for: its requirements as they are now (the recruiter's marks)."""
    if not requirements.active(job) and not job.requirements.exists():
        requirements.refresh(job)
    found = [(r.concept, r.weight) for r in requirements.active(job)]
    return _need(found, requirements.titles_of(job.title), requirements.job_text(job))


def _need(found: list[tuple[str, str]], titles: list[str], offer: str) -> score.Need:
    words = text.stems(offer)
    # The skills' names in both languages join the query: the index then finds a CV that
    # shows the skill in the other language.
    for concept, _ in found:
        entry = vocabulary.concept(concept)
        words.extend(text.stems(f"{entry.fr}\n{entry.en}"))
    return score.Need(
        requirements=tuple(found),
        titles=tuple(titles),
        years=profiles.years_in(offer, None) if offer else None,
        stems=tuple(sorted(set(words))),
    )


def rank(
    organisation: Any, *, job: Any = None, text: str | None = None, limit: int = 100
) -> list[Match]:
    """The best `limit` candidates of the organisation for the job or the offer's text."""
    if (job is None) == (text is None):
        raise ValueError("rank: give a job or a text, not both")
    need = need_of_job(job) if job is not None else need_of_text(text or "")
    return ranked(organisation.id, need, limit)


def ranked(org_id: int, need: score.Need, limit: int) -> list[Match]:
    found = index.search(org_id, need.stems, max(POOL, limit * POOL_PER_PLACE))
    if not found:
        return []
    top = score.ceiling(index.idf(org_id, need.stems))
    bm25 = dict(found)
    # The index is a copy: the database says who still exists, in this organisation.
    alive = set(
        Candidate.objects.filter(
            organisation_id=org_id, anonymised_at__isnull=True, id__in=bm25
        ).values_list("id", flat=True)
    )
    latest = _latest_cvs(org_id, sorted(alive))
    kept = {p.cv_id: p for p in Profile.objects.filter(cv_id__in=[cv.id for cv in latest.values()])}
    matches = []
    for candidate, cv in sorted(latest.items()):
        profile = kept.get(cv.id) or profiles.refresh(cv)
        if profile is None:
            continue
        result = score.score(
            need, profile.skills, profile.titles, profile.years, bm25[candidate], top
        )
        matches.append(Match(candidate, result, cv.id))
    matches.sort(key=lambda match: (-match.score.value, match.candidate))
    return matches[:limit]


def _latest_cvs(org_id: int, candidate_ids: list[int]) -> dict[int, Any]:
    """Each candidate's latest CV with text: the one the index read."""
    latest: dict[int, Any] = {}
    rows = (
        CV.objects.filter(organisation_id=org_id, candidate_id__in=candidate_ids)
        .exclude(text="")
        # The text and the names are read only for a CV whose profile is missing.
        .only("id", "organisation_id", "candidate_id", "uploaded_at")
        .order_by("candidate_id", "-uploaded_at", "-id")
    )
    for cv in rows:
        latest.setdefault(cv.candidate_id, cv)
    return latest
