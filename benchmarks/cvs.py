"""Benchmark: CV text extraction per file (run by hand, never as a test).

    .venv/bin/python benchmarks/cvs.py
    .venv/bin/python benchmarks/cvs.py --runs 200

What a recruiter's upload and a candidate's application wait for: `cvs.detect` then
`cvs.read` (relance/intake/cvs.py), on files made here the way CVs look:

- *PDF, 2 pages, two columns*: a sidebar (skills, languages) beside the experience, drawn
  line across line (the layout analysis has work to do), about 4,000 characters;
- *PDF, 1 page, one column*: about 2,000 characters;
- *PDF, 60 pages*: a long document; only the first 50 pages are read (the cap);
- *DOCX*: paragraphs and a table (python-docx), about 4,000 characters;
- *DOCX with a 1 MB image*: the same, with a picture inside (python-docx loads every part);
- *ODT*: about 4,000 characters, from content.xml with the standard library.

Each file is read `--runs` times after 5 warm-ups; median and 95th percentile per file,
in milliseconds. Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

WORDS = [
    "Java",
    "Kotlin",
    "Spring",
    "Kafka",
    "PostgreSQL",
    "microservices",
    "équipe",
    "projet",
    "migration",
    "client",
    "architecture",
    "tests",
    "revue",
    "livraison",
    "continue",
    "Docker",
    "Kubernetes",
    "performance",
    "données",
    "conception",
    "développement",
    "maintenance",
    "qualité",
    "agile",
    "encadrement",
]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def two_column_pdf(rng: random.Random, pages: int = 2) -> bytes:
    from tests import cvfiles

    out = []
    for _ in range(pages):
        lines: list[tuple[float, float, str]] = [(220, 800, "Jeanne Martin — Développeuse")]
        for i in range(42):
            y = 770 - 17 * i
            lines += [(40, y, sentence(rng, 3)), (210, y, sentence(rng, 8))]
        out.append(lines)
    return cvfiles.pdf(out, size=9)


def one_column_pdf(rng: random.Random, pages: int = 1) -> bytes:
    from tests import cvfiles

    return cvfiles.pdf(
        [[(50, 790 - 16 * i, sentence(rng, 9)) for i in range(45)] for _ in range(pages)], size=10
    )


def docx(rng: random.Random, image: bool = False) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading("Jeanne Martin", 0)
    for _ in range(40):
        document.add_paragraph(sentence(rng, 12))
    table = document.add_table(rows=8, cols=2)
    for row in table.rows:
        row.cells[0].text, row.cells[1].text = sentence(rng, 2), sentence(rng, 6)
    if image:
        document.add_picture(io.BytesIO(_png(1024 * 1024, rng)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _png(size: int, rng: random.Random) -> bytes:
    """A valid PNG of about `size` bytes (noise does not compress)."""
    import struct
    import zlib

    side = int((size / 3) ** 0.5)
    raw = b"".join(b"\x00" + rng.randbytes(side * 3) for _ in range(side))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 1))
            + chunk(b"IEND", b""))  # fmt: skip


def odt(rng: random.Random) -> bytes:
    from tests import cvfiles

    return cvfiles.odt([sentence(rng, 12) for _ in range(45)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.settings")
    os.environ.setdefault("RELANCE_DATA_DIR", "/tmp/relance-bench-cvs")
    import django

    django.setup()
    from relance.intake import cvs

    rng = random.Random(13)
    files = {
        "PDF, 2 pages, two columns": two_column_pdf(rng),
        "PDF, 1 page, one column": one_column_pdf(rng),
        "PDF, 60 pages (50 read)": one_column_pdf(rng, pages=60),
        "DOCX, paragraphs and a table": docx(rng),
        "DOCX with a 1 MB image": docx(rng, image=True),
        "ODT": odt(rng),
    }
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, {args.runs} runs a file\n")
    print("| file | size | characters read | median | p95 | naive: median | naive: characters |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, data in files.items():
        for _ in range(5):
            cvs.read(data, cvs.detect(data))
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            reading = cvs.read(data, cvs.detect(data))
            times.append((time.perf_counter() - started) * 1000)
        assert not reading.problem, (name, reading.problem)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        naive_ms, naive_chars = peer(name, data, args.runs)
        print(f"| {name} | {len(data) / 1024:,.0f} kB | {len(reading.text):,} "
              f"| {statistics.median(times):.1f} ms | {p95:.1f} ms "
              f"| {naive_ms} |{naive_chars}")  # fmt: skip


def naive_text(name: str, data: bytes) -> str:
    """What a plain reader gets, the peer approach: PDFium's text layer page by page (the
    two columns of a line run together, every page read), python-docx's paragraphs (the
    tables left out); the ODT has no peer here."""
    if name.startswith("PDF"):
        import pypdfium2

        document = pypdfium2.PdfDocument(data)
        try:
            return "\n".join(page.get_textpage().get_text_range() for page in document)
        finally:
            document.close()
    if name.startswith("DOCX"):
        import io

        import docx as python_docx

        return "\n".join(p.text for p in python_docx.Document(io.BytesIO(data)).paragraphs)
    return ""


def peer(name: str, data: bytes, runs: int) -> tuple[str, str]:
    if name == "ODT":
        return "—", " — |"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        text = naive_text(name, data)
        times.append((time.perf_counter() - started) * 1000)
    return f"{statistics.median(times):.1f} ms", f" {len(text):,} |"


if __name__ == "__main__":
    main()
