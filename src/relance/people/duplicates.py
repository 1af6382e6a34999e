"""Pairs of an organisation's candidates who are, or may be, the same person.

- **The same person**: an e-mail (any case), the LinkedIn profile or the phone in E.164
  matches — people/identity.py's rules, on the values as stored (people/contact.py wrote
  them normalised). Found by grouping on each key in the database (the e-mail's group uses
  the candidate_org_email index): one query per kind of key, whatever the number of people.
- **Possibly the same**: a close name — folded (people/search.py: accents and case), its
  words in any order, at most a small spelling difference (edit distance 1 under 8 letters,
  2 from 8) — at the same company (folded the same way: `Candidate.company_key`). Where
  either record names no company, the same desired role in the same location stands in for
  it; two records at two different companies are never proposed. Candidates are read in
  index order, one block (one company; then one role in one place) in memory at a time;
  within a block, names are sorted and each is compared with its next few neighbours only
  (sorted neighbourhood, twice: forwards and read backwards), never with everyone.
  Trade-off: the blocks cost one ordered pass over the organisation's rows that have a
  company, then one over those that have a role and a location; a page stops as soon as it
  is full and the next one starts after the last block read (a keyset cursor), so memory
  stays bounded by the largest block.

A pair someone decided is "not the same person" is never proposed again. The decision is an
audit entry (who, when, about whom: `not_duplicate_of`): it outlives an erasure like every
entry, and follows the kept person through a merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.db.models.functions import Lower

from relance.people import rights, search
from relance.people.models import AuditEntry, Candidate, Organisation, Recruiter

EMAIL, LINKEDIN, PHONE, NAME = "email", "linkedin_url", "phone", "name"
# A close name at the same company (NAME: a close name in the same role and place).
COMPANY = "company"
# How many names, in sorted order, each name is compared with (see `possible`).
WINDOW = 8


@dataclass(frozen=True)
class Pair:
    """Two candidates (`first` the older record) and why they are shown: `reason` is one of
    email, linkedin_url, phone (the same person), company or name (possibly: a close name at
    the same company, or in the same role and place), `value` what matched."""

    first: int
    second: int
    reason: str
    value: str

    @property
    def exact(self) -> bool:
        return self.reason not in (NAME, COMPANY)


def name_key(first_name: str, last_name: str) -> str:
    """'Lefèvre  Élodie' and 'elodie LEFEVRE' give the same key: folded, words sorted."""
    return " ".join(sorted(search.fold(f"{first_name} {last_name}").split()))


def close(a: str, b: str) -> bool:
    """Two folded name keys that differ by at most a small spelling difference."""
    limit = 1 if max(len(a), len(b)) < 8 else 2
    return within(a, b, limit)


def within(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance of a and b at most `limit` (banded: stops as soon as it cannot)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def dismissed(organisation: Organisation) -> set[frozenset[int]]:
    """The pairs someone said are not the same person."""
    rows = AuditEntry.objects.filter(
        organisation=organisation, detail__not_duplicate_of__isnull=False
    ).values_list("candidate_id", "detail")
    return {frozenset((a, int(detail["not_duplicate_of"]))) for a, detail in rows}


def not_the_same(
    organisation: Organisation, first: Candidate, second: Candidate, actor: Recruiter | None,
    now: datetime,
) -> None:  # fmt: skip
    """Remember that these two are different people: the pair is never proposed again."""
    if first.organisation_id != organisation.pk or second.organisation_id != organisation.pk:
        raise ValueError("both candidates must be of the organisation")
    rights.audit(first, actor, AuditEntry.Action.CHANGED, now, not_duplicate_of=second.pk)


def exact(organisation: Organisation, limit: int = 100) -> list[Pair]:
    """Pairs of records of the same person, at most `limit`: each group of records that
    share a key gives pairs of its oldest record with each of the others."""
    skip = dismissed(organisation)
    rows = Candidate.objects.of(organisation).filter(anonymised_at__isnull=True)
    pairs: list[Pair] = []
    seen: set[frozenset[int]] = set()
    keyed = (
        (EMAIL, rows.exclude(email="").annotate(k=Lower("email"))),
        (LINKEDIN, rows.exclude(linkedin_url="").annotate(k=Lower("linkedin_url"))),
        (PHONE, rows.exclude(phone="").annotate(k=Lower("phone"))),
    )
    for reason, keyed_rows in keyed:
        groups = keyed_rows.values("k").annotate(n=Count("id")).filter(n__gt=1)
        shared = groups.order_by("k")[: limit + 1]
        values = [g["k"] for g in shared]
        if not values:
            continue
        members: dict[str, list[int]] = {}
        for pk, value in keyed_rows.filter(k__in=values).order_by("pk").values_list("pk", "k"):
            members.setdefault(value, []).append(pk)
        for value in values:
            oldest, *others = members[value]
            for pk in others:
                pair = frozenset((oldest, pk))
                if pair in skip or pair in seen:
                    continue
                seen.add(pair)
                pairs.append(Pair(oldest, pk, reason, value))
                if len(pairs) >= limit:
                    return pairs
    return pairs


def possible(
    organisation: Organisation, limit: int = 50, after: Cursor | None = None
) -> tuple[list[Pair], Cursor | None]:
    """Pairs of records that may be one person, at most `limit`, and the cursor to pass as
    `after` for the next page (None: no more). Pairs already the same person by a key are
    left to `exact`.

    Two passes, each over blocks read in index order: first one company at a time (a close
    name at the same company, both companies given); then, where either record has no
    company, one desired role in one place at a time (the fallback: what else tells two
    Marie Martin apart). Two records at two different companies are never a pair."""
    skip = dismissed(organisation)
    pairs: list[Pair] = []
    passes = ((COMPANY, _company_blocks), (NAME, _place_blocks))
    for reason, blocks in passes:
        if after is not None and after[0] == NAME and reason == COMPANY:
            continue  # the company pass was read by an earlier page
        start = after[1:] if after is not None and after[0] == reason else None
        for block_key, value, block in blocks(organisation, start):
            found = _close_pairs(block, skip, either_without_company=reason == NAME)
            pairs += [Pair(a, b, reason, value) for a, b in sorted(found)]
            if len(pairs) >= limit:
                return pairs, (reason, *block_key)
    return pairs, None


# A page's cursor: the pass (COMPANY or NAME) and the last block read in it.
Cursor = tuple[str, str, str]
Row = tuple[int, str, frozenset[str], str]  # id, name key, exact keys, company key


def _close_pairs(
    block: list[Row], skip: set[frozenset[int]], either_without_company: bool
) -> set[tuple[int, int]]:
    """The close names of one block. Sorted neighbourhood: the block's names sorted, each
    compared with the next few only (O(k·WINDOW), not O(k²) for a block of k); sorted a
    second time by the names read backwards, so a difference in the first letters is caught
    too. `either_without_company`: the role-and-place pass, where two records that both
    name a company were the company pass's to judge (different companies: not a pair)."""
    found: set[tuple[int, int]] = set()
    for order in (lambda r: r[1], lambda r: r[1][::-1]):
        ranked = sorted((r for r in block if r[1]), key=order)
        for index, (a, name_a, keys_a, company_a) in enumerate(ranked):
            for b, name_b, keys_b, company_b in ranked[index + 1 : index + 1 + WINDOW]:
                pair = (min(a, b), max(a, b))
                if pair in found or keys_a & keys_b or frozenset(pair) in skip:
                    continue
                if either_without_company and company_a and company_b:
                    continue
                if close(name_a, name_b):
                    found.add(pair)
    return found


FIELDS = ("first_name", "last_name", "email", "phone", "linkedin_url", "company_key")


def _row(
    pk: int, first: str, last: str, email: str, phone: str, linkedin: str, company: str
) -> Row:
    keys = frozenset(
        f"{kind}:{value.lower()}"
        for kind, value in ((EMAIL, email), (PHONE, phone), (LINKEDIN, linkedin))
        if value
    )
    return (pk, name_key(first, last), keys, company)


def _company_blocks(
    organisation: Organisation, after: tuple[str, ...] | None
) -> Iterator[tuple[tuple[str, str], str, list[Row]]]:
    """The organisation's candidates with a company, one block of the same company (folded:
    case, accents, spaces) at a time, in the order of the candidate_org_company index."""
    rows = (
        Candidate.objects.of(organisation)
        .filter(anonymised_at__isnull=True)
        .exclude(company_key="")
    )
    if after is not None:
        rows = rows.filter(company_key__gt=after[0])
    current: str | None = None
    shown = ""
    block: list[Row] = []
    for pk, company, *values in (
        rows.order_by("company_key", "pk")
        .values_list("pk", "company", *FIELDS)
        .iterator(chunk_size=2000)
    ):
        key = values[-1]
        if key != current:
            if current is not None and len(block) > 1:
                yield (current, ""), shown, block
            current, shown, block = key, company, []
        block.append(_row(pk, *values))
    if current is not None and len(block) > 1:
        yield (current, ""), shown, block


def _place_blocks(
    organisation: Organisation, after: tuple[str, ...] | None
) -> Iterator[tuple[tuple[str, str], str, list[Row]]]:
    """The organisation's candidates with a role and a location, one block of the same role
    in the same place (folded by the database's lower case) at a time."""
    rows = (
        Candidate.objects.of(organisation)
        .filter(anonymised_at__isnull=True)
        .exclude(desired_role="")
        .exclude(location="")
        .annotate(role=Lower("desired_role"), place=Lower("location"))
    )
    if after is not None:
        rows = rows.filter(role__gte=after[0]).exclude(role=after[0], place__lte=after[1])
    current: tuple[str, str] | None = None
    block: list[Row] = []
    for pk, role, place, *values in (
        rows.order_by("role", "place", "pk")
        .values_list("pk", "role", "place", *FIELDS)
        .iterator(chunk_size=2000)
    ):
        key = (role, place)
        if key != current:
            if current is not None and len(block) > 1:
                yield current, f"{current[0]} · {current[1]}", block
            current, block = key, []
        block.append(_row(pk, *values))
    if current is not None and len(block) > 1:
        yield current, f"{current[0]} · {current[1]}", block
