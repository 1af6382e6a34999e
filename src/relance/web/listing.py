"""The candidate list's queries: filters, orders read page by page from a keyset cursor,
a bounded window of rows per page view, an approximate total, and the stage and job
columns. No page view reads a whole million rows, and none counts them.

Orders (`sort`), each served by an index (people/models.py) in the order it reads:

- `newest` (the default): ids descending; a cursor is the last id shown (`after`), and a
  view reads at most `window` ids below it (a rare filter offers to search older ones).
- `name`: the folded last name, first name and e-mail (`search_key`), A to Z.
- `stars`: most stars first.
- `contact`: latest contact first; the people never contacted come last.

For the last three the cursor is the last row's sort value (`key`) and id (`after`): the
next page is what comes after that pair, `(key, id) > (k, i)` read as a range of the index
(a row-value comparison on SQLite and PostgreSQL alike). With a filter, a view examines at
most `window` rows in that order from the cursor: a filter that matches few people shows
what it found there and offers to search further, as `newest` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThan,
    TupleLessThan,
    TupleLookupMixin,
)

from relance.engine import Stage
from relance.intake import documents
from relance.people import candidates, search
from relance.people.models import Application, Candidate, Consent
from relance.web import errors, labels

PAGE = 50
LIST_COLUMNS = (
    "pk", "first_name", "last_name", "email", "stars", "source", "tags", "last_contact_at",
    "owner__first_name", "owner__last_name", "owner__email",
)  # fmt: skip
SORTS = ("newest", "name", "stars", "contact")
CONTACT_FILTERS = {"30": 30, "90": 90, "180": 180, "never": 0}
# The approximate total: candidates counted in SLICES runs of SLICE ids spread evenly over
# the organisation's ids, scaled up (a stratified sample: about 10,000 rows read).
SLICES, SLICE = 10, 1_000
NEVER = "never"


# --- filters ---------------------------------------------------------------------------


class Filters:
    """The list's filters and order, read from the query string; a bad value is named, not
    ignored."""

    def __init__(self) -> None:
        self.q = self.stage = self.source = self.tag = self.consent = self.contact = ""
        self.cv = ""  # words of their CV's text (intake/documents.py)
        self.stars = self.owner = 0
        self.sort = "newest"
        self.problem = ""

    @classmethod
    def read(cls, get: Any) -> Filters:
        f = cls()
        f.q = get.get("q", "").strip()[:100]
        f.stage = get.get("stage", "")
        f.source = get.get("source", "")
        f.tag = get.get("tag", "").strip()[:60]
        f.consent = get.get("consent", "")
        f.contact = get.get("contact", "")
        f.cv = get.get("cv", "").strip()[:100]
        f.sort = get.get("sort", "") or "newest"
        for name in ("stars", "owner"):
            raw = get.get(name, "")
            if raw and not raw.isdigit():
                f.problem = errors.whole_number(name, raw)
            setattr(f, name, int(raw) if raw.isdigit() else 0)
        for name, value, known in (
            ("stage", f.stage, labels.STAGES),
            ("source", f.source, labels.SOURCES),
            ("consent", f.consent, labels.PURPOSES),
            ("contact", f.contact, CONTACT_FILTERS),
            ("sort", f.sort, SORTS),
        ):
            if value and value not in known:
                f.problem = errors.one_of(name, value, known)
        return f

    @property
    def active(self) -> bool:
        return any((self.q, self.stage, self.source, self.tag, self.consent, self.contact,
                    self.stars, self.owner, self.cv))  # fmt: skip

    def apply(self, rows: QuerySet[Candidate], now: datetime) -> QuerySet[Candidate]:
        if self.q:
            for word in self.q.split()[:4]:
                rows = rows.filter(prefix_of(word))
        if self.stage:
            rows = rows.filter(
                Exists(Application.objects.filter(candidate=OuterRef("pk"), stage=self.stage))
            )
        if self.source:
            rows = rows.filter(source=self.source)
        if self.stars:
            rows = rows.filter(stars__gte=self.stars)
        if self.owner:
            rows = rows.filter(owner_id=self.owner)
        if self.tag:
            rows = candidates.with_tag(rows, self.tag)
        if self.consent:
            rows = rows.filter(
                Exists(
                    Consent.objects.filter(
                        candidate=OuterRef("pk"), purpose=self.consent, withdrawn_at__isnull=True
                    )
                )
            )
        if self.cv:
            rows = rows.filter(documents.text_contains(self.cv))
        if self.contact == "never":
            rows = rows.filter(last_contact_at__isnull=True)
        elif self.contact:
            days = CONTACT_FILTERS[self.contact]
            rows = rows.filter(last_contact_at__lt=now - timedelta(days=days))
        return rows


def prefix_of(word: str) -> Q:
    """A candidate whose last name, first name or e-mail (or a word of them) starts with
    `word`, whatever its case and accents: both sides folded (people/search.py), so that
    SQLite and PostgreSQL find the same people ("elodie" finds Élodie, "lefevre" Lefèvre).

    The start of the key is an index range (candidate_search_key); a word inside it is read
    within the page's window, so no view reads the whole table.
    """
    folded = search.fold(word)
    if not folded:
        return Q()
    return Q(search_key__startswith=folded) | Q(search_key__contains=f" {folded}")


# --- orders and cursors ----------------------------------------------------------------


class RowLessThan(TupleLessThan):
    """`(a, b) < (x, y)` as a row value on every database: SQLite understands it (3.15 and
    later) and reads it as a range of an index on (a, b), where Django would write
    `a < x OR (a = x AND b < y)`, which SQLite reads by scanning from the index's start."""

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return super(TupleLookupMixin, self).as_sql(compiler, connection)


class RowGreaterThan(TupleGreaterThan):
    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return super(TupleLookupMixin, self).as_sql(compiler, connection)


@dataclass(frozen=True)
class Part:
    """A part of an order: the rows it holds, read by `field` then id, one way."""

    where: Q
    field: str  # "" when the id alone orders the part
    descending: bool

    def ordering(self) -> list[Any]:
        names = [self.field, "pk"] if self.field else ["pk"]
        return [F(n).desc() if self.descending else F(n).asc() for n in names]

    def after(self, key: Any, pk: int) -> Q | Any:
        if not self.field:
            return Q(pk__lt=pk) if self.descending else Q(pk__gt=pk)
        row = Tuple(F(self.field), F("pk"))
        return (RowLessThan if self.descending else RowGreaterThan)(row, (key, pk))

    def until(self, key: Any, pk: int) -> Q | Any:
        """The rows read before `(key, pk)` in this part's order, and that row itself (ids
        are whole numbers: "at least (key, pk)" is "more than (key, pk - 1)")."""
        if not self.field:
            return Q(pk__gte=pk) if self.descending else Q(pk__lte=pk)
        row = Tuple(F(self.field), F("pk"))
        if self.descending:
            return RowGreaterThan(row, (key, pk - 1))
        return RowLessThan(row, (key, pk + 1))


ORDERS: dict[str, list[Part]] = {
    "name": [Part(Q(), "search_key", descending=False)],
    "stars": [Part(Q(), "stars", descending=True)],
    "contact": [
        Part(Q(last_contact_at__isnull=False), "last_contact_at", descending=True),
        Part(Q(last_contact_at__isnull=True), "", descending=True),
    ],
}


@dataclass
class Cursor:
    part: int = 0
    key: Any = None
    pk: int | None = None


def read_cursor(sort: str, get: Any) -> Cursor | str:
    """The cursor of a page (`after`, and `key` for the orders other than `newest`), or
    what is wrong with it."""
    after, key = get.get("after", ""), get.get("key", "")
    if not after:
        return Cursor()
    if not after.isdigit():
        return errors.whole_number("after", after)
    pk = int(after)
    if sort == "newest":
        return Cursor(pk=pk)
    if sort == "name":
        return Cursor(0, key[:500], pk)
    if sort == "stars":
        if not key.isdigit() or int(key) > 3:
            return errors.one_of("key", key, "0123")
        return Cursor(0, int(key), pk)
    if key == NEVER:
        return Cursor(1, None, pk)
    try:
        moment = datetime.fromisoformat(key)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        return errors.one_of("key", key, ["2026-03-04T10:00:00+00:00", NEVER])
    return Cursor(0, moment, pk)


def cursor_of(sort: str, row: Candidate, part: int) -> dict[str, str]:
    """The query parameters that continue the list after `row`."""
    if sort == "newest":
        return {"after": str(row.pk)}
    if sort == "name":
        key = row.search_key
    elif sort == "stars":
        key = str(row.stars)
    else:
        key = row.last_contact_at.isoformat() if part == 0 and row.last_contact_at else NEVER
    return {"key": key, "after": str(row.pk)}


@dataclass
class Page:
    rows: list[Candidate] = field(default_factory=list)
    # The next page's cursor, as query parameters; None at the end.
    next: dict[str, str] | None = None
    # The window ended before the page was full: the next link searches further.
    searched: bool = False


def page_of(
    org_rows: QuerySet[Candidate],
    filters: Filters,
    cursor: Cursor,
    now: datetime,
    *,
    window: int,
    newest: int,
    oldest: int,
) -> Page:
    """A page of the list in the filters' order. `newest`, `oldest`: the organisation's
    highest and lowest candidate ids (0 when it has none)."""
    if filters.sort == "newest":
        return _newest_page(org_rows, filters, cursor, now, window, newest, oldest)
    return _ordered_page(org_rows, filters, cursor, now, window)


def _shown(rows: QuerySet[Candidate], *extra: str) -> QuerySet[Candidate]:
    return rows.select_related("owner").only(*LIST_COLUMNS, *extra)


def _newest_page(
    org_rows: QuerySet[Candidate],
    filters: Filters,
    cursor: Cursor,
    now: datetime,
    window: int,
    newest: int,
    oldest: int,
) -> Page:
    """Newest first: ids below the cursor, at most `window` of them per view."""
    top = cursor.pk if cursor.pk is not None else newest + 1
    bottom = max(0, top - window)
    rows = filters.apply(org_rows, now).filter(pk__lt=top, pk__gte=bottom)
    found = list(_shown(rows).order_by("-pk")[: PAGE + 1])
    page = Page(found[:PAGE])
    if len(found) > PAGE:
        page.next = cursor_of("newest", page.rows[-1], 0)
    elif bottom > 0 and oldest and oldest < bottom:
        page.next, page.searched = {"after": str(bottom)}, True  # older ones not searched yet
    return page


def _ordered_page(
    org_rows: QuerySet[Candidate], filters: Filters, cursor: Cursor, now: datetime, window: int
) -> Page:
    """One order's page: each part of the order in turn (the contacted, then the never
    contacted), from the cursor. With filters, at most `window` rows of a part are examined
    per view; when they run out before the page is full, the page ends there and its next
    link searches further, from the last row examined."""
    parts = ORDERS[filters.sort]
    sort_field = {"name": "search_key", "stars": "stars", "contact": "last_contact_at"}
    extra = ("search_key",) if filters.sort == "name" else ()
    page = Page()
    index, key, pk = cursor.part, cursor.key, cursor.pk
    while index < len(parts) and len(page.rows) <= PAGE:
        part = parts[index]
        rows = org_rows.filter(part.where)
        if pk is not None:
            rows = rows.filter(part.after(key, pk))
        ordered = rows.order_by(*part.ordering())
        need = PAGE + 1 - len(page.rows)
        edge = None
        if filters.active:
            # The window's last row (one seek in the order's index), then one range read
            # up to it that stops at the page's end: not `id IN (the window's ids)`, which
            # built a 50,000-id list for every page (35 ms at a million candidates).
            edge = next(iter(ordered.only("pk", sort_field[filters.sort])[window - 1 : window]),
                        None)  # fmt: skip
            if edge is not None:
                rows = rows.filter(part.until(getattr(edge, part.field) if part.field else None,
                                              edge.pk))  # fmt: skip
            matching = filters.apply(rows, now)
            found = list(_shown(matching, *extra).order_by(*part.ordering())[:need])
        else:
            found = list(_shown(ordered, *extra)[:need])
        for row in found:
            row.list_part = index  # type: ignore[attr-defined]
        page.rows += found
        if edge is not None and len(found) < need:  # the window ended inside this part
            page.next, page.searched = cursor_of(filters.sort, edge, index), True
            return page
        index, key, pk = index + 1, None, None
    if len(page.rows) > PAGE:
        last = page.rows[PAGE - 1]
        page.rows = page.rows[:PAGE]
        page.next = cursor_of(filters.sort, last, getattr(last, "list_part", 0))
    return page


# --- the approximate total ---------------------------------------------------------------


@dataclass
class Total:
    n: int
    exact: bool
    step: int = 1  # how many candidates one match in the sample stands for


def total(
    org_rows: QuerySet[Candidate], filters: Filters, now: datetime, *, newest: int, oldest: int
) -> Total:
    """How many candidates the filters match, without counting a million rows: exact when
    the organisation's ids span at most SLICES × SLICE, else estimated from SLICES runs of
    SLICE ids spread evenly over that span (a stratified sample that reads about 10,000
    rows whatever the filters; an id of another organisation or a deleted one counts as a
    miss in the sample as in the whole, so the scale is the span's)."""
    if not newest:
        return Total(0, True)
    matching = filters.apply(org_rows, now)
    span = newest - oldest + 1
    sampled = SLICES * SLICE
    if span <= sampled:
        return Total(matching.count(), True)
    step = span // SLICES
    # One range read per stratum, counted together (a UNION ALL): written as one filter
    # with ten ORs, SQLite's planner read the whole (organisation, stars) index instead.
    starts = [oldest + i * step + (step - SLICE) // 2 for i in range(SLICES)]  # the middles
    runs = [matching.filter(pk__gte=s, pk__lt=s + SLICE).order_by().values("pk") for s in starts]
    found = runs[0].union(*runs[1:], all=True).count()
    return Total(round(found * span / sampled), False, max(1, round(span / sampled)))


def id_span(org_rows: QuerySet[Candidate]) -> tuple[int, int]:
    """The organisation's highest and lowest candidate ids: two index seeks, one query.
    (Not MAX and MIN in one SELECT: SQLite seeks for a lone MIN or MAX only, and read the
    whole organisation's index for the pair.)"""
    oldest = org_rows.order_by("pk").values("pk")[:1]
    newest = org_rows.order_by("-pk").values("pk")[:1]
    found = (
        Candidate.objects.filter(pk=Subquery(newest))
        .annotate(oldest=Subquery(oldest))
        .values_list("pk", "oldest")
        .first()
    )
    return (found[0], found[1]) if found else (0, 0)


def rounded(n: int) -> int:
    """An estimate to two significant figures: 12,437 -> 12,000; 987 -> 990."""
    if n < 100:
        return n
    scale = 10 ** (len(str(n)) - 2)
    return round(n / scale) * scale


# --- the stage and job columns -----------------------------------------------------------


def furthest_applications(ids: list[int]) -> dict[int, Application]:
    """For each candidate, their most advanced active application (the stage and job the
    list shows); one query for the page."""
    best: dict[int, Application] = {}
    rows = (
        Application.objects.filter(candidate_id__in=ids)
        .exclude(stage__in=[Stage.REJECTED, Stage.WITHDRAWN, Stage.HIRED])
        .select_related("job")
        .only("candidate_id", "stage", "stage_changed_at", "job_id", "job__title")
    )
    for application in rows:
        held = best.get(application.candidate_id)
        rank = (Stage(application.stage).rank, application.stage_changed_at)
        if held is None or rank > (Stage(held.stage).rank, held.stage_changed_at):
            best[application.candidate_id] = application
    return best
