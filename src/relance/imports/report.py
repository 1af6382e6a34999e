"""The report of refused rows: a CSV (UTF-8 with its BOM, so that Excel reads the accents)
holding each refused row as it was in the file, its line, and why — in the language of
the recruiter who reads it. Fix the rows in it and import it again: it has the file's own
header. A cell that a spreadsheet would run as a formula (=, +, -, @ first) is written
behind a quote, as every export of Relance does."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from django.utils.translation import gettext as _

from relance.imports.reader import Table
from relance.imports.service import Outcome

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA) else cell


def refused_csv(table: Table, outcomes: Sequence[Outcome]) -> bytes:
    by_line = {row.number: row for row in table.rows}
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Line"), _("Reason"), *table.header])
    for outcome in outcomes:
        if outcome.action != "refused":
            continue
        row = by_line.get(outcome.line)
        cells = row.cells if row is not None else []
        writer.writerow([outcome.line, " ".join(outcome.reasons), *(safe(c) for c in cells)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
