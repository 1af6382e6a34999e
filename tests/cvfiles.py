"""Real CV files made in the tests: PDFs written by hand (a tiny generator: Helvetica,
text at given places, one or two columns, many pages, encrypted), DOCX files made with
python-docx, ODT files made with zipfile, and broken ones."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

Line = tuple[float, float, str]  # x, y (points from the bottom left), text


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf(pages: list[list[Line]], *, encrypt: bool = False, size: int = 11) -> bytes:
    """A PDF whose pages hold these lines, drawn in the order given (the content stream's
    order is not the reading order: a two-column page can be drawn line across line)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled below
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        stream = b"BT /F1 %d Tf " % size
        for x, y, text in lines:
            stream += b"1 0 0 1 %.1f %.1f Tm (" % (x, y) + _escape(text) + b") Tj "
        stream += b"ET"
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (tree, font, content)
        ))  # fmt: skip
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    objects[tree - 1] = b"<< /Type /Pages /Kids [" + refs + b"] /Count %d >>" % len(kids)
    trailer_extra = b""
    if encrypt:
        # The standard security handler with owner and user keys that no password opens.
        keys = b"<" + b"5A" * 32 + b">"
        encryption = add(b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O " + keys
                         + b" /U " + keys + b" >>")  # fmt: skip
        trailer_extra = b" /Encrypt %d 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> " \
                        b"<0123456789ABCDEF0123456789ABCDEF>]" % encryption  # fmt: skip
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog) + trailer_extra
              + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)  # fmt: skip
    return out.getvalue()


def one_column_pdf(lines: list[str]) -> bytes:
    return pdf([[(72, 760 - 16 * i, text) for i, text in enumerate(lines)]])


LEFT = [
    "EXPÉRIENCE",
    "Développeuse Java, Société Alpha",
    "Microservices Spring Boot et Kafka",
    "Développeuse, Société Beta",
    "Migration vers PostgreSQL",
]
RIGHT = [
    "COMPÉTENCES",
    "Java, Kotlin, Spring",
    "PostgreSQL, Kafka",
    "LANGUES",
    "Français, anglais courant",
]


def two_column_pdf() -> bytes:
    """A two-column CV under a centred name, drawn line across line: a reader that follows
    the drawing order would mix the columns."""
    lines: list[Line] = [(230, 790, "Jeanne Martin")]
    for i, (left, right) in enumerate(zip(LEFT, RIGHT, strict=True)):
        y = 740 - 18 * i
        lines += [(50, y, left), (330, y, right)]
    return pdf([lines])


def docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt(paragraphs: list[str]) -> bytes:
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}"'
        f' xmlns:text="{text}" office:version="1.2"><office:body><office:text>'
        f'<text:h text:outline-level="1">CV</text:h>{body}'
        '<text:p>Deux<text:s text:c="3"/>espaces<text:tab/>et <text:span>un span</text:span></text:p>'
        "</office:text></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest/>", zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docx_bomb() -> bytes:
    """A DOCX whose document.xml expands to 200 MB (from about 200 kB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(200):
                member.write(chunk)
    return out.getvalue()


def png() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))  # fmt: skip
