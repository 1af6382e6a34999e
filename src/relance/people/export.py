"""Candidates to a spreadsheet: CSV or XLSX, with the columns chosen, streamed.

- **Streamed**: rows are read from the database in chunks (`iterator`) and written as they
  come; a CSV is produced line by line (the web page streams it), an XLSX through
  openpyxl's write-only workbook (rows go to a temporary file, never a workbook in memory).
  A million candidates cost the memory of one chunk.
- **Spreadsheet injection** (OWASP "CSV injection"): a text cell that begins with `=`, `+`,
  `-`, `@`, a tab or a carriage return would be run as a formula by Excel or LibreOffice
  (`=HYPERLINK(…)`, `=cmd|…`): it is written with a leading apostrophe, which spreadsheets
  show as text. Applied to CSV and XLSX alike (openpyxl itself takes a string beginning
  with `=` for a formula). Numbers are written as numbers.
- **Audit**: one entry per export — who, how many rows, which columns, in which format, and
  what was exported (all, the list's filter, a segment, a pool) — not one per person: an
  export of a million people is one act.
- Headers are in the reader's language (the profile's field names, people/candidates.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import IO, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relance.errors import InputError
from relance.people import candidates
from relance.people.models import AuditEntry, Candidate, Organisation, Recruiter

FORMATS = ("csv", "xlsx")
CHUNK = 2000
# Every column that can be chosen, in the order a sheet shows them.
COLUMNS = (
    "id", "first_name", "last_name", "email", "phone", "linkedin_url", "language", "timezone",
    "country", "location", "source", "stars", "owner", "tags", "skills", "years_experience",
    "seniority", "desired_role", "company", "interests", "preferred_channel", "created_at",
    "last_contact_at", "unsubscribed_at", "do_not_contact_at",
)  # fmt: skip
DEFAULT_COLUMNS = (
    "id", "first_name", "last_name", "email", "phone", "linkedin_url", "location",
    "desired_role", "company", "source", "stars", "tags", "last_contact_at",
)  # fmt: skip
EXTRA_NAMES = {
    "id": gettext_lazy("Id"),
    "created_at": gettext_lazy("Added on"),
    "last_contact_at": gettext_lazy("Last contact"),
    "unsubscribed_at": gettext_lazy("Unsubscribed on"),
    "do_not_contact_at": gettext_lazy("Do not contact since"),
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


class ExportProblem(InputError):
    """What was asked cannot be exported; the message says what, and what was expected."""


def columns_from(raw: str | Iterable[str] | None) -> list[str]:
    """The columns asked ("email,phone" or a list), checked; none asked: the default set."""
    if raw is None or raw == "" or raw == []:
        return list(DEFAULT_COLUMNS)
    names = [c.strip() for c in (raw.split(",") if isinstance(raw, str) else raw)]
    names = [c for c in dict.fromkeys(names) if c]
    unknown = [c for c in names if c not in COLUMNS]
    if unknown or not names:
        raise ExportProblem(
            _("columns: %(unknown)s unknown; expected some of: %(known)s.")
            % {"unknown": ", ".join(unknown) or "—", "known": ", ".join(COLUMNS)}
        )
    return names


def format_from(raw: str) -> str:
    value = (raw or "csv").lower().lstrip(".")
    if value not in FORMATS:
        raise ExportProblem(
            _("format: %(value)s is not one; expected csv or xlsx.") % {"value": raw}
        )
    return value


def header(columns: Sequence[str]) -> list[str]:
    return [str(EXTRA_NAMES.get(c) or candidates.FIELD_NAMES.get(c, c)) for c in columns]


def escape(value: str) -> str:
    """A text cell safe to open in a spreadsheet: one that would start a formula gets a
    leading apostrophe."""
    return "'" + value if value.startswith(DANGEROUS) else value


def cell(candidate: Candidate, column: str, owners: dict[int, str]) -> Any:
    if column == "id":
        return candidate.pk
    if column == "owner":
        return escape(owners.get(candidate.owner_id or 0, ""))
    value = getattr(candidate, column)
    if value is None:
        return ""
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int):
        return value
    return escape(str(value))


def rows(people: QuerySet[Candidate], columns: Sequence[str]) -> Iterator[list[Any]]:
    """The sheet's rows (without its header), read in chunks in id order."""
    owners: dict[int, str] = {}
    if "owner" in columns:
        team = Recruiter.objects.filter(organisation_id__in=people.values("organisation_id"))
        owners = dict(team.values_list("pk", "email"))
    fields = ["pk", *(c for c in columns if c not in ("id", "owner"))]
    if "owner" in columns:
        fields.append("owner_id")
    for person in people.order_by("pk").only(*fields).iterator(chunk_size=CHUNK):
        yield [cell(person, c, owners) for c in columns]


def csv_lines(people: QuerySet[Candidate], columns: Sequence[str]) -> Iterator[str]:
    """The CSV, line by line (UTF-8 with a BOM first, so that Excel reads the accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield "\ufeff" + line(header(columns))
    for values in rows(people, columns):
        yield line(values)


def write(people: QuerySet[Candidate], columns: Sequence[str], kind: str, out: IO[bytes]) -> int:
    """Write the sheet to `out`; returns the number of rows (people) written."""
    count = 0
    if kind == "csv":
        for number, text in enumerate(csv_lines(people, columns)):
            out.write(text.encode())
            count = number
        return count
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("Candidates")))
    sheet.append(header(columns))
    for values in rows(people, columns):
        sheet.append(values)
        count += 1
    book.save(out)
    return count


def audit(
    organisation: Organisation, actor: Recruiter | None, now: datetime, *, what: str,
    count: int, columns: Sequence[str], kind: str,
) -> None:  # fmt: skip
    """One entry for the export: who, what (all, filter, segment N, pool N), how many."""
    AuditEntry.objects.create(
        organisation=organisation, at=now, actor=actor, action=AuditEntry.Action.EXPORTED,
        detail={"export": what, "rows": count, "columns": list(columns), "format": kind},
    )  # fmt: skip
