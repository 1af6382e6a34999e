"""Export from the pages (admins): the candidate list's current filter, a talent pool or a
saved segment, to CSV (streamed) or XLSX, with the columns ticked. The rules are in
people/export.py. Admins only, like a person's full export: a whole candidate base leaving
the application is an administrator's act (and in the audit log)."""

from __future__ import annotations

import tempfile
from typing import Any

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404

from relance import clock
from relance.people import export
from relance.people.models import Candidate
from relance.pools import segments
from relance.pools.models import Pool, Segment
from relance.web import errors, listing, scope

# The list's filter fields passed through the export form.
FILTER_FIELDS = ("q", "stage", "source", "stars", "tag", "cv", "owner", "contact", "consent")


def form_context(request: HttpRequest) -> dict[str, Any]:
    """What the export form of the candidate list needs: the current filter (hidden) and the
    columns to tick (the default set ticked)."""
    return {
        "filters": [(n, request.GET[n]) for n in FILTER_FIELDS if request.GET.get(n)],
        "columns": [
            (code, name, code in export.DEFAULT_COLUMNS)
            for code, name in zip(export.COLUMNS, export.header(export.COLUMNS), strict=True)
        ],
    }


@scope.admin_page
def candidates_export(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    now = clock.now()
    try:
        kind = export.format_from(request.GET.get("format", "csv"))
        columns = export.columns_from(request.GET.getlist("columns"))
    except export.ExportProblem as problem:
        return errors.bad_request(request, str(problem))
    people = Candidate.objects.of(org).filter(anonymised_at__isnull=True)
    if request.GET.get("pool"):
        pool = get_object_or_404(Pool.objects.of(org), pk=_id(request.GET["pool"]))
        people, what = people.filter(pools__pool=pool), f"pool {pool.pk}"
    elif request.GET.get("segment"):
        segment = get_object_or_404(Segment.objects.of(org), pk=_id(request.GET["segment"]))
        people, what = segments.evaluate(org, segment.definition, now), f"segment {segment.pk}"
    else:
        filters = listing.Filters.read(request.GET)
        if filters.problem:
            return errors.bad_request(request, filters.problem)
        people = filters.apply(people, now)
        shown = {n: v for n, v in request.GET.items() if n in FILTER_FIELDS and v}
        what = f"filter {shown}" if shown else "all"
    export.audit(org, scope.me(request), now, what=what, count=people.count(), columns=columns,
                 kind=kind)  # fmt: skip
    name = f"candidates-{now:%Y-%m-%d}.{kind}"
    if kind == "csv":
        response = StreamingHttpResponse(
            export.csv_lines(people, columns), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    export.write(people, columns, kind, out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=name)


def _id(raw: str) -> int:
    return int(raw) if raw.isdigit() else 0
