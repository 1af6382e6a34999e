"""Segments: saved, composable filters over an organisation's candidates, evaluated in
the database (a segment of 100,000 people is never loaded into Python to be counted).

A definition is JSON. A condition names a `field`; conditions combine with `all`, `any`
and `not`, and `{"segment": ID}` reuses a saved segment:

    {"all": [
        {"field": "application", "stage": ["rejected"], "reached": "final",
         "job": "java", "within_days": 548},
        {"field": "skills", "any": ["Java", "Kotlin"]},
        {"not": {"field": "tag", "any": ["do-not-pool"]}}
    ]}

Fields (docs/pools.md has the full list with examples): application (stage, reached, job,
family, within_days), job_family, skills, interests, tag (any / all), experience (min /
max years), seniority (junior, confirmed, senior), desired_role and location (contains),
language, source (any), stars (min), last_contact (within_days / older_than_days /
never), consent (purpose), pool (id, or "silver_medalists"), candidates (ids: a
selection of at most MAX_IDS people, e.g. "send this job to the selected").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, JSONField, Lookup, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from relance.engine import Purpose, Stage
from relance.people.models import Application, Candidate, Consent, Organisation
from relance.pools.models import PoolMember, Segment
from relance.pools.pools import silver_medalists

# Years of experience per seniority: junior < 3, confirmed 3 to 7, senior 8 and more.
SENIORITY = {"junior": (0, 2), "confirmed": (3, 7), "senior": (8, 99)}
MAX_DEPTH = 8
MAX_IDS = 1000  # the most people a `candidates` selection names
WORD_LISTS = ("skills", "interests", "tag")


class SegmentError(ValueError):
    """A definition that cannot be evaluated: where, and what was expected."""


def _fail(where: str, message: str, **params: Any) -> SegmentError:
    """The error to raise: the place in the definition, then what was expected (in the
    reader's language)."""
    return SegmentError(f"{where}: {message % params if params else message}")


@JSONField.register_lookup
class ListHasAny(Lookup):  # type: ignore[type-arg]
    """A JSON list of words holding any of these words, whatever their case:
    `skills__has_any_word=["java", "kotlin"]`. The list's text, lower-cased, holds the
    word as a JSON string — `?|` on PostgreSQL, `instr` on SQLite: two to three times
    faster than unnesting the list row by row (benchmarks/RESULTS.md)."""

    lookup_name = "has_any_word"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        words = [str(word).casefold() for word in self.rhs]
        if connection.vendor == "postgresql":
            return f"(lower(({lhs})::text)::jsonb ?| %s)", [*params, words]
        # SQLite keeps the JSON text as written (non-ASCII letters escaped): the same
        # encoding finds the word, quotes included, so "java" never matches "javascript".
        tests = " OR ".join([f"instr(lower({lhs}), %s) > 0"] * len(words))
        quoted = [json.dumps(word) for word in words]
        return f"({tests})", [p for word in quoted for p in (*params, word)]


def evaluate(
    organisation: Organisation, definition: Mapping[str, Any], now: datetime
) -> QuerySet[Candidate]:
    """The organisation's candidates in the segment (anonymised people are never in one)."""
    condition = _build(organisation, definition, now, "segment", 0)
    return Candidate.objects.of(organisation).filter(anonymised_at__isnull=True).filter(condition)


def check(organisation: Organisation, definition: Any, now: datetime) -> None:
    """Raise SegmentError if the definition cannot be evaluated."""
    _build(organisation, definition, now, "segment", 0)


def _build(org: Organisation, node: Any, now: datetime, where: str, depth: int) -> Q:
    if depth > MAX_DEPTH:
        raise _fail(where, _("segments nested more than %(n)s deep (a cycle?)"), n=MAX_DEPTH)
    if not isinstance(node, Mapping):
        raise _fail(where, _("expected an object, got %(type)s"), type=type(node).__name__)
    if not node:
        return Q()  # everyone
    if "field" not in node and ("all" in node or "any" in node):
        key = "all" if "all" in node else "any"
        parts = node[key]
        if not isinstance(parts, list):
            raise _fail(f"{where}.{key}", _("expected a list of conditions"))
        built = [_build(org, p, now, f"{where}.{key}[{i}]", depth + 1) for i, p in enumerate(parts)]
        out = Q()
        for q in built:
            out = out & q if key == "all" else out | q
        return out
    if "not" in node:
        return ~_build(org, node["not"], now, f"{where}.not", depth + 1)
    if "segment" in node:
        saved = Segment.objects.of(org).filter(pk=node["segment"]).first()
        if saved is None:
            raise _fail(f"{where}.segment", _("no saved segment %(id)r"), id=node["segment"])
        return _build(org, saved.definition, now, f"{where}.segment[{saved.name}]", depth + 1)
    field = node.get("field")
    build = FIELDS.get(str(field))
    if build is None:
        raise _fail(
            where,
            _("unknown field %(field)r; expected one of %(fields)s (or all / any / not / segment)"),
            field=field,
            fields=", ".join(sorted(FIELDS)),
        )
    return build(org, node, now, f"{where}.{field}")


# --- fields ---------------------------------------------------------------------------


def _words(node: Mapping[str, Any], where: str) -> tuple[str, list[str]]:
    for key in ("any", "all"):
        if key in node:
            value = node[key]
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, str) and v.strip() for v in value)
            ):
                raise _fail(f"{where}.{key}", _("expected a non-empty list of words"))
            return key, [v.strip() for v in value]
    raise _fail(where, _("expected 'any' or 'all' with a list of words"))


def _int(node: Mapping[str, Any], key: str, where: str, low: int = 0, high: int = 36500) -> int:
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(
            f"{where}.{key}",
            _("expected a whole number from %(low)s to %(high)s"),
            low=low,
            high=high,
        )
    return value


def _stage(value: Any, where: str) -> str:
    if value not in {s.value for s in Stage}:
        raise _fail(where, _("unknown stage %(value)r; expected one of %(stages)s"), value=value,
                    stages=", ".join(s.value for s in Stage))  # fmt: skip
    return str(value)


def _word_list(column: str) -> Callable[..., Q]:
    def build(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
        key, words = _words(node, where)
        if key == "any":
            return Q(**{f"{column}__has_any_word": words})
        out = Q()
        for word in words:
            out &= Q(**{f"{column}__has_any_word": [word]})
        return out

    return build


def _application(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    rows = Application.objects.filter(candidate=OuterRef("pk"))
    if "stage" in node:
        stages = node["stage"] if isinstance(node["stage"], list) else [node["stage"]]
        rows = rows.filter(stage__in=[_stage(s, f"{where}.stage") for s in stages])
    if "reached" in node:
        rank = Stage(_stage(node["reached"], f"{where}.reached")).rank
        rows = rows.filter(
            furthest_stage__in=[s.value for s in Stage if s.rank >= rank and s.rank > 0]
        )
    if "job" in node:
        text = str(node["job"]).strip()
        if not text:
            raise _fail(f"{where}.job", _("expected words of a job title"))
        rows = rows.filter(Q(job__title__icontains=text) | Q(job__family__icontains=text))
    if "family" in node:
        rows = rows.filter(job__family__iexact=str(node["family"]).strip())
    if "within_days" in node:
        days = _int(node, "within_days", where, 1)
        rows = rows.filter(stage_changed_at__gte=now - timedelta(days=days))
    return Q(Exists(rows))


def _status(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    _, stages = _words(node, where)
    return _application(org, {"stage": stages}, now, where)


def _job_family(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    _, families = _words(node, where)
    q = Q()
    for family in families:
        q |= Q(job__family__icontains=family) | Q(job__title__icontains=family)
    return Q(Exists(Application.objects.filter(q, candidate=OuterRef("pk"))))


def _experience(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    q = Q()
    if "min" in node:
        q &= Q(years_experience__gte=_int(node, "min", where, 0, 80))
    if "max" in node:
        q &= Q(years_experience__lte=_int(node, "max", where, 0, 80))
    if not q:
        raise _fail(where, _("expected 'min' and/or 'max' years"))
    return q


def _seniority(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    _, levels = _words(node, where)
    q = Q()
    for level in levels:
        if level not in SENIORITY:
            raise _fail(where, _("unknown level %(value)r; expected one of %(levels)s"),
                        value=level, levels=", ".join(SENIORITY))  # fmt: skip
        low, high = SENIORITY[level]
        q |= Q(years_experience__gte=low, years_experience__lte=high)
    return q


def _contains(column: str) -> Callable[..., Q]:
    def build(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
        text = node.get("contains")
        if not isinstance(text, str) or not text.strip():
            raise _fail(f"{where}.contains", _("expected some text"))
        return Q(**{f"{column}__icontains": text.strip()})

    return build


def _choice(column: str, allowed: tuple[str, ...]) -> Callable[..., Q]:
    def build(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
        _, values = _words(node, where)
        for value in values:
            if value not in allowed:
                raise _fail(
                    where,
                    _("%(value)r is not one of %(allowed)s"),
                    value=value,
                    allowed=", ".join(allowed),
                )
        return Q(**{f"{column}__in": values})

    return build


def _stars(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    return Q(stars__gte=_int(node, "min", where, 0, 3))


def _last_contact(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    if node.get("never") is True:
        return Q(last_contact_at__isnull=True)
    if "within_days" in node:
        return Q(last_contact_at__gte=now - timedelta(days=_int(node, "within_days", where, 1)))
    if "older_than_days" in node:
        days = _int(node, "older_than_days", where, 1)
        return Q(last_contact_at__lt=now - timedelta(days=days))
    raise _fail(where, _("expected 'within_days', 'older_than_days' or 'never': true"))


def _consent(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    purpose = node.get("purpose")
    if purpose not in {p.value for p in Purpose}:
        raise _fail(f"{where}.purpose", _("expected one of %(purposes)s"),
                    purposes=", ".join(p.value for p in Purpose))  # fmt: skip
    return Q(
        Exists(
            Consent.objects.filter(
                candidate=OuterRef("pk"), purpose=purpose, withdrawn_at__isnull=True
            )
        )
    )


def _pool(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    if node.get("name") == "silver_medalists":
        return silver_medalists()
    if "id" not in node:
        raise _fail(where, _("expected 'id' of a pool, or 'name': 'silver_medalists'"))
    return Q(Exists(PoolMember.objects.filter(candidate=OuterRef("pk"), pool_id=node["id"])))


def _candidates(org: Organisation, node: Mapping[str, Any], now: datetime, where: str) -> Q:
    """A selection: these people (another organisation's ids select nobody: evaluate()
    scopes every segment to the organisation)."""
    ids = node.get("ids")
    if (
        not isinstance(ids, list)
        or not 1 <= len(ids) <= MAX_IDS
        or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
    ):
        expected = _("expected a list of 1 to %(n)s candidate ids (whole numbers)")
        raise _fail(f"{where}.ids", expected, n=MAX_IDS)
    return Q(pk__in=sorted(set(ids)))


FIELDS: dict[str, Callable[..., Q]] = {
    "application": _application,
    "status": _status,
    "job_family": _job_family,
    "skills": _word_list("skills"),
    "interests": _word_list("interests"),
    "tag": _word_list("tags"),
    "experience": _experience,
    "seniority": _seniority,
    "desired_role": _contains("desired_role"),
    "location": _contains("location"),
    "language": _choice("language", ("fr", "en")),
    "source": _choice(
        "source", ("linkedin", "email", "cv_database", "application", "referral", "event")
    ),
    "stars": _stars,
    "last_contact": _last_contact,
    "consent": _consent,
    "pool": _pool,
    "candidates": _candidates,
}
