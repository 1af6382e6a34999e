"""A CV's type, read from its content, and its text — within bounds.

The type is what the bytes are, never the file's name or the browser's content type: a PDF
starts with `%PDF-`; a DOCX is a zip holding `word/document.xml`; an ODT a zip whose
`mimetype` says so; a text file decodes as UTF-8 (or UTF-16 with its mark), else as
Windows-1252, and holds no control characters. Anything else is refused, with what was
expected.

The text is extracted once, at upload, and bounded: at most MAX_PAGES pages and MAX_CHARS
characters are read (a PDF of 2,000 pages gives its first pages, marked `truncated`), a zip
may expand to at most MAX_UNZIPPED bytes in at most MAX_ENTRIES files (a zip bomb is kept,
flagged `too_large`, never expanded), and reading stops after BUDGET_SECONDS between two
pages or paragraphs. A CV whose text cannot be read — a scanned image, a password, a broken
structure — is still a CV: it is kept, flagged with why.

PDFium is not thread-safe, even on different documents (pypdfium2's documentation): the
web server runs several threads, so every PDFium call here runs under one process-wide
lock, and every PDFium object is closed inside it (never left to the garbage collector,
which may run in another thread).
"""

from __future__ import annotations

import io
import re
import threading
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _

MAX_PAGES = 50
MAX_CHARS = 200_000
MAX_UNZIPPED = 50 * 1024 * 1024
MAX_ENTRIES = 2_000
BUDGET_SECONDS = 10.0

PDF, DOCX, ODT, TXT = "pdf", "docx", "odt", "txt"
NO_TEXT, ENCRYPTED, CORRUPTED, TOO_LARGE = "no_text", "encrypted", "corrupted", "too_large"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

_PDFIUM = threading.Lock()


class Refused(ValueError):
    """An upload that is not a CV Relance can keep: `code` says why, `message()` says it in
    the reader's language with what was expected."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self) -> str:
        expected = _(
            "expected a PDF, a Word document (.docx), an OpenDocument text (.odt) or a text "
            "file (.txt)"
        )
        texts = {
            "empty": _("The file is empty"),
            "too_large": _("The file is larger than %(mb)s MB"),
            "old_word": _(
                "This is an old Word document (.doc): save it as .docx or PDF, then send it again"
            ),
            "other_zip": _("This archive is not a Word or OpenDocument text"),
            "not_text": _("The content of this file is not a document Relance can read"),
            "missing": _("No file was sent"),
        }
        text = texts.get(self.code, self.code)
        if self.code == "too_large":
            text = text % {"mb": self.params.get("mb", "?")}
        if self.code in ("old_word", "missing"):
            return text
        return _("%(problem)s: %(expected)s.") % {"problem": text, "expected": expected}


@dataclass
class Reading:
    """What was read from a CV: its type, its text (maybe only the start: `truncated`), how
    many pages it has (PDF), and why its text could not be read (`problem`, or "")."""

    kind: str
    text: str = ""
    pages: int | None = None
    truncated: bool = False
    problem: str = ""


def detect(data: bytes) -> str:
    """The CV's type from its content, or Refused."""
    if not data:
        raise Refused("empty")
    if b"%PDF-" in data[:1024]:  # the header may follow a few bytes of junk (PDF 1.7, H.3)
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .doc, .xls…
        raise Refused("old_word")
    if _as_text(data) is None:
        raise Refused("not_text")
    return TXT


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist()[: MAX_ENTRIES + 1])
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return DOCX
            if "mimetype" in names and "content.xml" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100 and archive.read(info).strip() == ODT_MIMETYPE:
                    return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise Refused("not_text") from None
    raise Refused("other_zip")


def _as_text(data: bytes) -> str | None:
    """The file as text, or None when it is not text (binary content)."""
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    elif b"\x00" in data:
        return None
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        return None
    sample = text[:20_000]
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    return text if controls <= len(sample) // 100 else None


def read(data: bytes, kind: str) -> Reading:
    """The text of a CV of a known type. Never raises on a file's content: a CV that
    cannot be read comes back with its `problem`."""
    deadline = time.monotonic() + BUDGET_SECONDS
    if kind == PDF:
        reading = _pdf(data, deadline)
    elif kind in (DOCX, ODT):
        reading = _zipped(data, kind, deadline)
    else:
        reading = Reading(TXT, _as_text(data) or "")
    reading.text = tidy(reading.text)
    if len(reading.text) > MAX_CHARS:
        reading.text, reading.truncated = reading.text[:MAX_CHARS], True
    if not reading.problem and not reading.text.strip():
        reading.problem = NO_TEXT
    return reading


def tidy(text: str) -> str:
    """Line ends as \\n, no trailing spaces, at most one blank line in a row, no NUL."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- PDF ------------------------------------------------------------------------------------


def _pdf(data: bytes, deadline: float) -> Reading:
    import pypdfium2 as pdfium

    reading = Reading(PDF)
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            encrypted = getattr(error, "err_code", None) in (4, 5)  # password, security scheme
            reading.problem = ENCRYPTED if encrypted else CORRUPTED
            return reading
        try:
            reading.pages = len(document)
            texts: list[str] = []
            size = 0
            for index in range(reading.pages):
                if index >= MAX_PAGES or size > MAX_CHARS or time.monotonic() > deadline:
                    reading.truncated = True
                    break
                page = document[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        text = page_text(_boxes(textpage), page.get_width())
                    finally:
                        textpage.close()
                finally:
                    page.close()
                texts.append(text)
                size += len(text)
            reading.text = "\n\n".join(texts)
        except pdfium.PdfiumError:
            reading.problem = CORRUPTED
        finally:
            document.close()
    return reading


@dataclass(frozen=True)
class Box:
    """A run of text on one line of a page, in PDF points (y grows upwards)."""

    left: float
    bottom: float
    right: float
    top: float
    text: str

    @property
    def middle(self) -> float:
        return (self.bottom + self.top) / 2


def _boxes(textpage: Any) -> list[Box]:
    boxes = []
    for index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(index)
        text = textpage.get_text_bounded(left, bottom, right, top)
        text = " ".join(text.split())
        if text:
            boxes.append(Box(left, bottom, right, top, text))
    return boxes


def page_text(boxes: list[Box], width: float) -> str:
    """A page's text in reading order: top to bottom; where the page has two columns (a
    vertical gutter that the runs of text do not cross, with text on both sides), the
    left column before the right one, a line across both (a heading, the name at the top)
    where it stands."""
    gutter = column_gutter(boxes, width)
    if gutter is None:
        return "\n".join(_lines(boxes))
    out: list[str] = []
    left: list[Box] = []
    right: list[Box] = []
    for box in sorted(boxes, key=lambda b: (-b.top, b.left)):
        if box.right <= gutter:
            left.append(box)
        elif box.left >= gutter:
            right.append(box)
        else:  # across the gutter: the columns above it are read first
            out += _lines(left) + _lines(right) + [box.text]
            left, right = [], []
    out += _lines(left) + _lines(right)
    return "\n".join(out)


def column_gutter(boxes: list[Box], width: float) -> float | None:
    """The x of the gutter between two columns, or None for a page read in one column.

    A gutter is a vertical line in the middle half of the page that (almost) no run of text
    crosses, with at least three runs on each side, and enough text on each side: a column
    of dates at the right of a one-column CV ("2019 – 2021") is not a column to read apart.
    """
    if len(boxes) < 6 or width <= 0:
        return None
    allowed = max(2, len(boxes) // 10)
    # Positions every 2 points, grouped into runs that cross the same number of boxes.
    runs: list[tuple[int, list[float]]] = []
    x = width * 0.25
    while x <= width * 0.75:
        crossing = sum(1 for b in boxes if b.left < x < b.right)
        if not runs or runs[-1][0] != crossing:
            runs.append((crossing, []))
        runs[-1][1].append(x)
        x += 2.0
    best: tuple[int, int, float] | None = None  # fewest crossings, then the widest run
    for crossing, xs in runs:
        if crossing > allowed:
            continue
        middle = xs[len(xs) // 2]
        on_left = [b for b in boxes if b.right <= middle]
        on_right = [b for b in boxes if b.left >= middle]
        if len(on_left) < 3 or len(on_right) < 3:
            continue
        chars_left = sum(len(b.text) for b in on_left)
        chars_right = sum(len(b.text) for b in on_right)
        if min(chars_left, chars_right) < 0.15 * max(chars_left, chars_right):
            continue
        if best is None or (crossing, -len(xs)) < best[:2]:
            best = (crossing, -len(xs), middle)
    return best[2] if best is not None else None


def _lines(boxes: list[Box]) -> list[str]:
    """Runs of text grouped into lines (they overlap vertically), top to bottom, each line
    left to right."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (-b.top, b.left)):
        if lines:
            last = lines[-1]
            low, high = min(b.bottom for b in last), max(b.top for b in last)
            if low <= box.middle <= high:
                last.append(box)
                continue
        lines.append([box])
    return [" ".join(b.text for b in sorted(line, key=lambda b: b.left)) for line in lines]


# --- DOCX and ODT ---------------------------------------------------------------------------


class _Bomb(Exception):
    pass


def _zipped(data: bytes, kind: str, deadline: float) -> Reading:
    reading = Reading(kind)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            # What the zip says it expands to bounds what Python's zipfile will expand (a
            # member that holds more than its stated size fails its check): checked first.
            if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_UNZIPPED:
                raise _Bomb()
            if kind == ODT:
                reading.text, reading.truncated = _odt(archive.read("content.xml"), deadline)
                return reading
        reading.text, reading.truncated = _docx(data, deadline)
    except _Bomb:
        reading.problem = TOO_LARGE
    except Exception:  # a broken document, whatever the parser's error: kept, flagged
        reading.problem = CORRUPTED
    return reading


def _docx(data: bytes, deadline: float) -> tuple[str, bool]:
    import docx
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    fallback = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
    out: list[str] = []
    size = 0
    parts = [section.header._element for section in document.sections if section.header]
    parts.append(document.element.body)
    seen_headers: set[str] = set()
    for number, part in enumerate(parts):
        header = number < len(parts) - 1
        lines = []
        # Every paragraph in document order: tables and text boxes included. A text box is
        # written twice (a drawing and its older VML fallback): the fallback is skipped.
        for element in part.iter(qn("w:p")):
            if any(ancestor.tag == fallback for ancestor in element.iterancestors()):
                continue
            text = Paragraph(element, document).text
            lines.append(text)
            size += len(text)
            if size > MAX_CHARS or time.monotonic() > deadline:
                out.append("\n".join(lines))
                return "\n".join(out), True
        text = "\n".join(lines)
        if header:
            if not text.strip() or text in seen_headers:
                continue
            seen_headers.add(text)
        out.append(text)
    return "\n".join(out), False


_ODT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_PARAGRAPHS = (_ODT + "p", _ODT + "h")


def _odt(content: bytes, deadline: float) -> tuple[str, bool]:
    """An OpenDocument text's paragraphs and headings, from its content.xml, with the
    standard library. A document type declaration (entities: the "billion laughs") is not
    part of an ODT: refused as corrupted rather than parsed."""
    if b"<!DOCTYPE" in content[:4096] or b"<!ENTITY" in content:
        raise ValueError("a document type declaration in content.xml")
    root = ElementTree.fromstring(content)
    lines: list[str] = []
    size = 0
    for element in root.iter():
        if element.tag in _PARAGRAPHS:
            text = _odt_paragraph(element)
            lines.append(text)
            size += len(text)
            if size > MAX_CHARS or time.monotonic() > deadline:
                return "\n".join(lines), True
    return "\n".join(lines), False


def _odt_paragraph(element: ElementTree.Element) -> str:
    """A paragraph's text without the paragraphs nested in it (a frame's text box), which
    are read in their turn."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _ODT + "s":
            parts.append(" " * min(int(child.get(_ODT + "c", "1") or "1"), 100))
        elif child.tag == _ODT + "tab":
            parts.append("\t")
        elif child.tag == _ODT + "line-break":
            parts.append("\n")
        elif child.tag not in _PARAGRAPHS:
            parts.append(_odt_paragraph(child))
        parts.append(child.tail or "")
    return "".join(parts)
