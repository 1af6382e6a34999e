"""Files of people as other tools write them, generated for the import tests."""

from __future__ import annotations

import io
from collections.abc import Sequence

LINKEDIN_NOTES = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses '
    "are missing. You will only see email addresses for connections who have allowed their "
    "connections to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    'https://www.linkedin.com/help/linkedin/answer/261"\n'
    "\n"
)
LINKEDIN_HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"


def linkedin_connections(rows: Sequence[Sequence[str]]) -> bytes:
    """LinkedIn's Connections.csv: UTF-8 without BOM, its "Notes:" preamble, then the table."""
    out = io.StringIO(newline="")
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return (LINKEDIN_NOTES + LINKEDIN_HEADER + out.getvalue()).encode("utf-8")


def csv_file(header: Sequence[str], rows: Sequence[Sequence[str]], *, separator: str = ",",
             encoding: str = "utf-8", newline: str = "\r\n") -> bytes:  # fmt: skip
    import csv

    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=separator, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_file(rows: Sequence[Sequence[object]], merges: Sequence[str] = ()) -> bytes:
    """An Excel workbook (openpyxl writing it) with these rows and merged ranges."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for cells in merges:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
