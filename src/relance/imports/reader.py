"""A file of people read as a table: its header and its rows of text, whatever it is.

- The type is read from the content, not the name: an XLSX is a zip holding
  `xl/workbook.xml`; anything else must be text (CSV). A file named `.xlsx` that is not one,
  an old binary `.xls`, a PDF or an image is refused, saying what it is and what was expected.
- CSV: the encoding is UTF-8 (with or without its BOM), UTF-16 with its BOM (Excel's
  "Unicode text"), else Windows-1252 (French Excel's "CSV (séparateur : point-virgule)").
  UTF-8 is tried first because a Windows-1252 file is almost never valid UTF-8 once it
  holds an accented letter, while the reverse reading would turn "é" into "Ã©".
- The separator (`,` `;` tab) and the header line are found together: the line, among the
  first ones, whose cells are the most known column names (imports/mapping.py) for one of
  the separators. What comes before it is a preamble (LinkedIn's "Notes:" block) and is
  skipped.
- XLSX: the first sheet, read with openpyxl in read-only mode (rows streamed, never the
  whole sheet in memory) with defusedxml behind it (no DTD, no entity: no "billion
  laughs"). Before openpyxl opens it, the zip itself is checked: its uncompressed size
  (a zip bomb) and any DOCTYPE in its parts. A formula is read as its text (`=…`), never
  evaluated. A multi-row header: empty header cells take the value above them (a label
  merged over two rows keeps its value in the top cell); a group label above (merged over
  several columns) is tried as a prefix when a name alone is not known.
- Limits: the file's size (RELANCE_IMPORT_MAX_MB), columns per row, characters per cell
  (more in a column named as a CV's text: a CV is longer than a name).
  Beyond them the file is refused before anything is read further, naming the row.

Every refusal is an ImportProblem whose message is in the reader's language.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.utils.translation import gettext as _

from relance.imports import mapping

MAX_COLUMNS = 200  # a row with more cells than this is not a table of people
MAX_CELL = 10_000  # characters in one cell
MAX_CV_CELL = 100_000  # characters in a cell of a column named as a CV's text (cv_text)
HEADER_SEARCH = 30  # lines read to find the header
SEPARATORS = (",", ";", "\t")
SEPARATOR_NAMES = {",": ",", ";": ";", "\t": "tab"}
XLSX_RATIO = 100  # uncompressed size of a part at most this many times its compressed one


class ImportProblem(ValueError):
    """A file that cannot be read: `str(problem)` says what, where and what was expected."""


@dataclass
class Row:
    number: int  # the line (CSV) or row (XLSX) as a spreadsheet shows it, from 1
    cells: list[str]


@dataclass
class Table:
    kind: str  # "csv" or "xlsx"
    header: list[str]
    header_line: int
    rows: list[Row] = field(default_factory=list)
    encoding: str = ""
    separator: str = ""

    @property
    def separator_name(self) -> str:
        return SEPARATOR_NAMES.get(self.separator, self.separator)


def max_bytes() -> int:
    return int(settings.RELANCE_IMPORT_MAX_BYTES)


def check_size(size: int) -> None:
    """Refuse a file larger than the limit, before reading it."""
    limit = max_bytes()
    if size > limit:
        raise ImportProblem(
            _(
                "The file has %(size)s MB: at most %(max)s MB can be imported at once "
                "(RELANCE_IMPORT_MAX_MB). Split it, or raise the limit."
            )
            % {"size": _mb(size), "max": _mb(limit)}
        )


def read(data: bytes, name: str = "") -> Table:
    """The table in `data` (the whole file; `name` is only what it claims to be)."""
    check_size(len(data))
    claimed = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportProblem(
            _(
                "This is an old Excel file (.xls): save it as .xlsx or as CSV, then import "
                "that file."
            )
        )
    if claimed in ("xlsx", "xlsm", "xls"):
        raise ImportProblem(
            _(
                "“%(name)s” is named like a spreadsheet but is not one: expected an Excel "
                "file (.xlsx) or a CSV file."
            )
            % {"name": name}
        )
    return read_csv(data)


# --- CSV ---------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:4096]:
        raise ImportProblem(
            _("This file is not text: expected a CSV file or an Excel file (.xlsx).")
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        raise ImportProblem(
            _(
                "This file is neither UTF-8 nor Windows-1252 text (byte %(at)s): save it "
                "as CSV UTF-8."
            )
            % {"at": error.start + 1}
        ) from None


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    head = text[: 64 * 1024]
    best: tuple[int, int, int] | None = None  # (known, -line, -len(sep)) of the best reading
    chosen = (",", 0)
    for separator in SEPARATORS:
        for index, record in enumerate(_records(head, separator, HEADER_SEARCH)):
            known = mapping.known_count(record)
            if known == 0:
                continue
            score = (known, -index, 0)
            if best is None or score > best:
                best, chosen = score, (separator, index)
    if best is None:
        chosen = (_likeliest_separator(head), 0)
    separator, header_index = chosen
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header: list[str] = []
    header_line = 0
    rows: list[Row] = []
    records = 0
    wide: frozenset[int] = frozenset()
    try:
        for cells in reader:
            line = reader.line_num  # the line where this record ends
            if records < header_index:
                records += 1
                continue
            records += 1
            cells = _checked(cells, line, wide)
            if not header:
                header, header_line = [c.strip() for c in cells], line
                wide = cv_columns(header)
                continue
            if any(c.strip() for c in cells):
                rows.append(Row(line, cells))
    except csv.Error as error:
        raise ImportProblem(
            _("Line %(line)s cannot be read as CSV (%(why)s).")
            % {"line": reader.line_num, "why": error}
        ) from None
    if not header:
        raise ImportProblem(_("The file is empty: expected a header line, then one person a line."))
    return Table("csv", header, header_line, rows, encoding, separator)


def _records(text: str, separator: str, limit: int) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        for index, record in enumerate(reader):
            if index >= limit:
                return
            yield record
    except csv.Error:
        return


def _likeliest_separator(text: str) -> str:
    """Without a known column name: the separator that splits the first lines the same
    way into the most cells."""
    best, chosen = 1, ","
    for separator in SEPARATORS:
        widths = [len(r) for r in _records(text, separator, 10) if any(c.strip() for c in r)]
        if widths and min(widths) == max(widths) and widths[0] > best:
            best, chosen = widths[0], separator
    return chosen


def cv_columns(header: list[str]) -> frozenset[int]:
    """The columns (from 0) whose name says they hold a CV's text: their cells may be
    longer (MAX_CV_CELL)."""
    return frozenset(i for i, name in enumerate(header) if mapping.field_for(name) == "cv_text")


def _checked(cells: list[str], line: int, wide: frozenset[int] | None = frozenset()) -> list[str]:
    """`wide`: the columns allowed MAX_CV_CELL characters; None: every column (an XLSX's
    rows are read before its header is known, then checked again)."""
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    if len(cells) > MAX_COLUMNS:
        raise ImportProblem(
            _(
                "Line %(line)s has %(n)s columns: at most %(max)s are read. Is it the right "
                "file, and the right separator?"
            )
            % {"line": line, "n": len(cells), "max": MAX_COLUMNS}
        )
    for column, cell in enumerate(cells, start=1):
        limit = MAX_CV_CELL if wide is None or column - 1 in wide else MAX_CELL
        if len(cell) > limit:
            raise ImportProblem(
                _("Line %(line)s, column %(column)s has %(n)s characters: at most %(max)s.")
                % {"line": line, "column": column, "n": len(cell), "max": limit}
            )
    return cells


# --- XLSX --------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> Table:
    _check_zip(data)
    import openpyxl  # imported here: only an XLSX import pays for it

    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception as error:  # openpyxl raises anything from KeyError to XML errors
        raise ImportProblem(
            _("This Excel file cannot be read (%(why)s): save it again from Excel, or as CSV.")
            % {"why": type(error).__name__}
        ) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a sheet claiming A1:XFD1048576 is not read as such
        raw: list[Row] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = _checked([_text(v) for v in values], number, None)
            raw.append(Row(number, cells))
    except ImportProblem:
        raise
    except Exception as error:
        raise ImportProblem(
            _("This Excel file cannot be read (%(why)s): save it again from Excel, or as CSV.")
            % {"why": type(error).__name__}
        ) from None
    finally:
        book.close()
    return _table_from_rows(raw)


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportProblem(
            _("This file is a damaged archive: expected an Excel file (.xlsx) or a CSV file.")
        ) from None
    with archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise ImportProblem(
                _(
                    "This file is an archive but not an Excel workbook (a Word or "
                    "OpenDocument file?): expected .xlsx or CSV."
                )
            )
        total = 0
        for info in archive.infolist():
            total += info.file_size
            if total > 10 * max_bytes() or info.file_size > XLSX_RATIO * max(
                info.compress_size, 1024
            ):
                raise ImportProblem(
                    _(
                        "This Excel file unpacks to far more than its size (%(part)s): it is "
                        "refused as a possible zip bomb."
                    )
                    % {"part": info.filename}
                )
            if info.filename.endswith((".xml", ".rels")):
                with archive.open(info) as part:
                    start = part.read(2048)
                if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                    raise ImportProblem(
                        _(
                            "This Excel file declares XML entities (%(part)s), which Excel "
                            "never writes: it is refused."
                        )
                        % {"part": info.filename}
                    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # a phone or an id typed as a number
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _table_from_rows(raw: list[Row]) -> Table:
    """The header among the first rows (the most known names), a multi-row header filled
    from above, then the rows after it."""
    candidates = raw[:HEADER_SEARCH]
    best, index = 0, -1
    for i in range(len(candidates)):
        filled = _filled(candidates, i)
        known = mapping.known_count(filled)
        if known > best:
            best, index = known, i
    if index < 0:
        index = next((i for i, r in enumerate(candidates) if any(c.strip() for c in r.cells)), -1)
    if index < 0:
        raise ImportProblem(_("The file is empty: expected a header line, then one person a line."))
    header = _filled(candidates, index)
    rows = [r for r in raw[index + 1 :] if any(c.strip() for c in r.cells)]
    wide = cv_columns(header)
    for row in raw[: index + 1] + rows:
        _checked(row.cells, row.number, wide)
    return Table("xlsx", header, raw[index].number, rows)


def _filled(rows: list[Row], index: int) -> list[str]:
    """Row `index` as a header: an empty cell takes the value above it (a label merged
    over two rows); a name not known alone, prefixed by the label above it (a group merged
    over columns, like "Contact" over "E-mail" and "Phone"), when that makes it known."""
    header = [c.strip() for c in rows[index].cells]
    above = [c.strip() for c in rows[index - 1].cells] if index > 0 else []
    group = ""
    out: list[str] = []
    for column in range(max(len(header), len(above))):
        name = header[column] if column < len(header) else ""
        top = above[column] if column < len(above) else ""
        group = top or group
        if not name:
            out.append(top)
        elif mapping.field_for(name) is None and group and mapping.field_for(f"{group} {name}"):
            out.append(f"{group} {name}")
        else:
            out.append(name)
    while out and not out[-1]:
        out.pop()
    return out


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")
