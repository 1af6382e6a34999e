"""A job's requirements: the skills its text asks for, each must-have or nice-to-have,
worked out again when the job's text changes (matching/signals.py) while the recruiter's
own choices (a weight changed, a skill added or taken off) are kept."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from relance.matching import recognise, text, vocabulary
from relance.matching.models import Requirement

# Words that make a line's skills required, or only welcome (folded, FR and EN).
_MUST = re.compile(
    r"\b(?:requis(?:e|es)?|indispensables?|obligatoires?|exige(?:e|es|s)?|imperati(?:f|ve)s?"
    r"|maitrise|maitriser|necessaire|required|must|mandatory|essential|strong|solide)\b"
)
_NICE = re.compile(
    r"\b(?:apprecie(?:e|es|s)?|un plus|atout|souhaite(?:e|es|s)?|idealement|serait|bonus"
    r"|nice to have|a plus|preferred|desirable|ideally|optional|optionnel(?:le)?)\b"
)


def job_text(job: Any) -> str:
    return "\n".join(part for part in (job.title, job.description) if part)


def _cue(folded: str) -> str | None:
    if _NICE.search(folded) and not _MUST.search(folded):
        return Requirement.Weight.NICE
    if _MUST.search(folded):
        return Requirement.Weight.MUST
    return None


# A line cut into clauses: "Java, Spring indispensable, Kafka apprécié" gives each skill the
# word next to it ("." only at a clause's end: "node.js" stays whole).
_CLAUSE = re.compile(r"[,;()]|\.(?:\s|$)|\s[-–—/]\s")


def found_in(job_title: str, description: str) -> dict[str, str]:
    """The skills a job's text names, with their weight: must-have when its clause, its
    line or the heading above it says so ("requis", "maîtrise", "required"), or when the
    job's title names it; nice-to-have when they say so ("un plus", "apprécié", "nice to
    have") or say nothing."""
    in_title = set(recognise.evidence(job_title)) if job_title else set()
    found: dict[str, str] = {}
    heading: str | None = None
    for line in (job_title + "\n" + description).splitlines():
        folded = text.fold(line)
        hits = recognise.mentions(line)
        skills = [m.concept for m in hits if vocabulary.concept(m.concept).kind == "skill"]
        if not folded.strip():
            heading = None
            continue
        if not skills:
            # A heading ("Compétences requises :", "Nice to have:") weighs the lines below.
            heading = _cue(folded) if line.rstrip().endswith(":") or len(folded) < 40 else heading
            continue
        line_cue = _cue(folded)
        for clause in _CLAUSE.split(line):
            clause_cue = _cue(text.fold(clause))
            for mention in recognise.mentions(clause):
                concept = mention.concept
                if vocabulary.concept(concept).kind != "skill":
                    continue
                weight = clause_cue or line_cue or heading
                if weight is None:
                    weight = (
                        Requirement.Weight.MUST if concept in in_title else Requirement.Weight.NICE
                    )
                # A skill named twice keeps its strongest weight.
                if found.get(concept) != Requirement.Weight.MUST:
                    found[concept] = weight
        for concept in skills:  # named on the line but cut by a clause boundary
            found.setdefault(concept, line_cue or heading or Requirement.Weight.NICE)
    return found


def titles_of(job_title: str) -> list[str]:
    """The job titles its title names (a lesser signal of the score)."""
    return sorted(
        concept
        for concept in recognise.evidence(job_title)
        if vocabulary.concept(concept).kind == "title"
    )


@transaction.atomic
def refresh(job: Any) -> list[Requirement]:
    """The job's requirements from its text now: new ones added, those no longer in the
    text dropped, weights followed — except what the recruiter decided, kept as it is."""
    found = found_in(job.title, job.description)
    existing = {r.concept: r for r in Requirement.objects.filter(job=job)}
    for concept, requirement in existing.items():
        if requirement.origin == Requirement.Origin.RECRUITER:
            continue
        if concept not in found:
            requirement.delete()
        elif requirement.weight != found[concept]:
            requirement.weight = found[concept]
            requirement.save(update_fields=["weight"])
    Requirement.objects.bulk_create(
        [
            Requirement(job=job, concept=concept, weight=weight)
            for concept, weight in sorted(found.items())
            if concept not in existing
        ]
    )
    return active(job)


def _worked_out(job: Any) -> None:
    """The requirements from the text first, if the job never had them (a recruiter's
    first mark comes on top of them, not instead)."""
    if not Requirement.objects.filter(job=job).exists():
        refresh(job)


def active(job: Any) -> list[Requirement]:
    return list(Requirement.objects.filter(job=job, active=True).order_by("concept"))


def mark(job: Any, concept: str, weight: str) -> Requirement:
    """The recruiter's choice: this skill required (must) or welcome (nice) for this job.
    Refused with ValueError when the skill or the weight is unknown."""
    if weight not in Requirement.Weight.values:
        raise ValueError(f"weight: {weight!r}, expected one of must, nice")
    vocabulary.concept(concept)  # LookupError for an unknown concept
    _worked_out(job)
    requirement, _ = Requirement.objects.update_or_create(
        job=job,
        concept=concept,
        defaults={"weight": weight, "origin": Requirement.Origin.RECRUITER, "active": True},
    )
    return requirement


def drop(job: Any, concept: str) -> None:
    """The recruiter takes a requirement off: kept inactive, so that the text does not bring
    it back."""
    _worked_out(job)
    Requirement.objects.update_or_create(
        job=job,
        concept=concept,
        defaults={"origin": Requirement.Origin.RECRUITER, "active": False},
    )
