"""Named pools, the silver medalists kept automatically, and tags added by rules."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q

from relance.engine import Stage
from relance.people.models import Application, Candidate, Organisation
from relance.pools.models import Pool, PoolMember, TagRule

TALENT_POOL_NAME = "Talent pool"
# Rejected at `interview` or later: the people who came closest.
SILVER_STAGES = [s.value for s in Stage if Stage.INTERVIEW.rank <= s.rank < Stage.HIRED.rank]


def silver_medalists() -> Q:
    """The candidates rejected at `interview` or later, as a filter (kept automatically:
    it is a query, never a list to maintain)."""
    return Q(
        Exists(
            Application.objects.filter(
                candidate=OuterRef("pk"), stage=Stage.REJECTED, furthest_stage__in=SILVER_STAGES
            )
        )
    )


def pool_named(organisation: Organisation, name: str, now: datetime) -> Pool:
    pool, _ = Pool.objects.get_or_create(
        organisation=organisation, name=name, defaults={"created_at": now}
    )
    return pool


def add_members(pool: Pool, candidate_ids: list[int], now: datetime) -> int:
    present = set(
        PoolMember.objects.filter(pool=pool, candidate_id__in=candidate_ids).values_list(
            "candidate_id", flat=True
        )
    )
    new = [
        PoolMember(organisation_id=pool.organisation_id, pool=pool, candidate_id=pk, added_at=now)
        for pk in dict.fromkeys(candidate_ids)
        if pk not in present
    ]
    PoolMember.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def rule_matches(rule: TagRule, application: Application) -> bool:
    if application.stage != rule.stage:
        return False
    if rule.reached and Stage(application.furthest_stage).rank < Stage(rule.reached).rank:
        return False
    title = application.job.title.casefold() if application.job_id else ""
    return not rule.job_title_contains or rule.job_title_contains.casefold() in title


def apply_rules(application: Application) -> list[str]:
    """Add the tags whose rule this application now matches (on a stage change)."""
    rules = list(TagRule.objects.of(application.candidate.organisation))
    tags = [rule.tag for rule in rules if rule_matches(rule, application)]
    candidate = application.candidate
    new = [tag for tag in dict.fromkeys(tags) if tag not in candidate.tags]
    if new:
        candidate.tags = [*candidate.tags, *new]
        Candidate.objects.filter(pk=candidate.pk).update(tags=candidate.tags)
    return new


def apply_rules_everywhere(organisation: Organisation) -> int:
    """Apply every tag rule to every ended application (the daily job, and after a rule is
    added). Reads only the applications at a rule's stage."""
    count = 0
    rules = list(TagRule.objects.of(organisation))
    stages = {rule.stage for rule in rules}
    rows = (
        Application.objects.of(organisation)
        .filter(stage__in=stages)
        .select_related("candidate", "job")
        .order_by("pk")
    )
    tagged: dict[int, list[str]] = {}  # a candidate with several applications
    for application in rows.iterator(chunk_size=500):
        tags = [rule.tag for rule in rules if rule_matches(rule, application)]
        have = tagged.get(application.candidate_id, application.candidate.tags)
        new = [tag for tag in dict.fromkeys(tags) if tag not in have]
        if new:
            tagged[application.candidate_id] = [*have, *new]
            Candidate.objects.filter(pk=application.candidate_id).update(
                tags=tagged[application.candidate_id]
            )
            count += 1
    return count
