"""Benchmark: importing people from a file (run by hand, never as a test).

    .venv/bin/python benchmarks/imports.py --rows 10000      # target: under 30 s
    .venv/bin/python benchmarks/imports.py --rows 100000     # target: under 5 min
    .venv/bin/python benchmarks/imports.py --rows 10000 --backend postgresql

On a throw-away database (a temporary SQLite file, or with `--backend postgresql` a
throw-away cluster, fsync on, as benchmarks/web.py does), in the same run:

1. A LinkedIn connections export of --rows people is generated (its "Notes:" preamble, two
   in three with an e-mail, every one with a LinkedIn profile, one row in a hundred with a
   date that is not one) and read (`imports.reader.read`).
2. **The import service** (`imports.service.run`, what `relance import` does): batches of
   500 rows, one transaction each, a savepoint per row, identity found with one query per
   batch, every person through people/candidates.py (checks, normalisation, audit entry).
3. **The page's run** (`imports.runs.work`, what the import page does in its background
   thread): the same, plus the run's position and counts saved with each batch.
4. **The same file again** through the service: every row an existing person, unchanged.
5. **The naive peer**: row by row with the ORM, each row its own transaction — a query for
   a duplicate by e-mail (or LinkedIn profile), then `Candidate.objects.create` — with no
   checks, no normalisation and no audit entry (so it does less work than the service).

Each is timed with rows per second, into an organisation of its own. Progress goes to
stderr; a Markdown table for benchmarks/RESULTS.md to stdout; the figures as JSON to
benchmarks/results/imports-N[-postgresql].json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import sys
import tempfile
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
FIRST = ["Marie", "Jean", "Léa", "Hugo", "Chloé", "Louis", "Inès", "Gabriel", "Zoé", "Adam"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark"]
POSITIONS = ["Développeur Java", "Data engineer", "CTO", "Product manager", "DevOps"]


def linkedin_export(rows: int) -> bytes:
    """A Connections.csv as LinkedIn writes it, with `rows` different people."""
    out = io.StringIO(newline="")
    out.write('Notes:\n"When exporting your connection data, you may notice that some of '
              'the email addresses are missing."\n\n')  # fmt: skip
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["First Name", "Last Name", "URL", "Email Address", "Company", "Position",
                     "Connected On"])  # fmt: skip
    for n in range(rows):
        first, last = FIRST[n % len(FIRST)], f"{LAST[n % len(LAST)]}{n}"
        ascii_first = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
        email = f"{ascii_first.lower()}.{last.lower()}@example.org" if n % 3 else ""
        date = "soon" if n % 100 == 99 else f"{1 + n % 28:02d} Jan 2024"
        writer.writerow([first, last, f"https://www.linkedin.com/in/person-{n}", email,
                         COMPANIES[n % len(COMPANIES)], POSITIONS[n % len(POSITIONS)], date])  # fmt: skip
    return out.getvalue().encode("utf-8")


class Progress:
    def __init__(self, label: str) -> None:
        self.label, self.start = label, time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        spent = time.perf_counter() - self.start
        rate = done / spent if spent else 0.0
        print(f"\r{self.label}: {done:,}/{total:,} rows, {rate:,.0f} rows/s", end="",
              file=sys.stderr, flush=True)  # fmt: skip
        if done >= total:
            print(file=sys.stderr)


def timed(label: str, rows: int, work: Any) -> dict[str, Any]:
    start = time.perf_counter()
    result = work(Progress(label))
    seconds = time.perf_counter() - start
    figures = {"seconds": round(seconds, 2), "rows_per_second": round(rows / seconds, 1)}
    if isinstance(result, dict):
        figures.update(result)
    return figures


def bench(rows: int) -> dict[str, Any]:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.db import connection, transaction

    from relance.imports import mapping, reader, runs, service
    from relance.imports.models import ImportRun
    from relance.people.models import Candidate, Organisation, Recruiter

    call_command("migrate", verbosity=0)

    def organisation(slug: str) -> tuple[Any, Any]:
        org = Organisation.objects.create(name=slug, slug=slug, country="FR")
        who = Recruiter.objects.create_user(f"bench@{slug}.example", "x", organisation=org)
        return org, who

    data = linkedin_export(rows)
    start = time.perf_counter()
    table = reader.read(data, "Connections.csv")
    read_seconds = time.perf_counter() - start
    fields = mapping.suggest(table.header)
    results: dict[str, Any] = {
        "rows": rows, "megabytes": round(len(data) / 1024 / 1024, 2),
        "backend": connection.vendor, "python": platform.python_version(),
        "read_seconds": round(read_seconds, 2),
    }  # fmt: skip

    org, who = organisation("service")

    def with_service(progress: Any) -> dict[str, int]:
        summary = service.run(org, table, fields, service.Options(), who, NOW, progress=progress)
        return summary.counts

    results["service"] = timed("service", rows, with_service)
    results["again"] = timed("same file again", rows, with_service)

    page_org, page_who = organisation("page")
    run = ImportRun.objects.create(
        organisation=page_org, recruiter=page_who, file_name="Connections.csv", digest="-",
        reading=runs.reading(table), mapping=fields, options={"duplicates": "update"},
        status=ImportRun.Status.QUEUED, language="en", total=rows, created_at=NOW,
        stored=default_storage.save("imports/bench.csv", ContentFile(data)),
    )  # fmt: skip

    def with_page(progress: Any) -> dict[str, int]:
        runs.work(run.pk)  # reads the file again, as the page's thread does
        done = ImportRun.objects.get(pk=run.pk)
        progress(done.done, rows)
        return {"created": done.created, "refused": done.refused}

    results["page"] = timed("page's run", rows, with_page)

    naive_org, _who = organisation("naive")
    by_name = {name: i for i, name in enumerate(table.header)}

    def naive(progress: Any) -> dict[str, int]:
        created = 0
        for n, row in enumerate(table.rows, start=1):
            cell = row.cells
            email = cell[by_name["Email Address"]]
            url = cell[by_name["URL"]]
            with transaction.atomic():
                people = Candidate.objects.filter(organisation=naive_org)
                known = (people.filter(email__iexact=email) if email else people.filter(
                    linkedin_url=url)).exists()  # fmt: skip
                if not known:
                    Candidate.objects.create(
                        organisation=naive_org, first_name=cell[by_name["First Name"]],
                        last_name=cell[by_name["Last Name"]], email=email, linkedin_url=url,
                        desired_role=cell[by_name["Position"]], source="linkedin",
                        created_at=NOW,
                    )  # fmt: skip
                    created += 1
            if n % 500 == 0 or n == rows:
                progress(n, rows)
        return {"created": created}

    results["naive"] = timed("naive row by row", rows, naive)
    return results


def markdown(r: dict[str, Any]) -> str:
    def line(name: str, figures: dict[str, Any]) -> str:
        what = ", ".join(f"{k} {figures[k]:,}" for k in
                         ("created", "updated", "unchanged", "skipped", "refused") if k in figures)  # fmt: skip
        return (f"| {name} | {figures['seconds']:,.2f} | {figures['rows_per_second']:,.0f} | "
                f"{what} |")  # fmt: skip

    return "\n".join([
        f"{r['rows']:,} rows ({r['megabytes']} MB, a LinkedIn connections export), "
        f"{r['backend']}, Python {r['python']}; reading the file: {r['read_seconds']} s.",
        "",
        "| import | seconds | rows/s | outcome |",
        "|---|---:|---:|---|",
        line("import service (`relance import`)", r["service"]),
        line("the page's run (background thread, position saved per batch)", r["page"]),
        line("the same file again (idempotent)", r["again"]),
        line("naive: row by row, ORM create + a duplicate query per row", r["naive"]),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    cluster = None
    work = Path(tempfile.mkdtemp(prefix="relance-import-bench-"))
    if args.backend == "postgresql":  # a throw-away cluster, fsync on
        from tests.pgserver import Cluster

        cluster = Cluster(fast=False)
        os.environ["DATABASE_URL"] = cluster.start()
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["RELANCE_DATA_DIR"] = str(work)
    os.environ.setdefault("RELANCE_SECRET_KEY", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "relance.settings"
    try:
        import django

        django.setup()
        results = bench(args.rows)
    finally:
        if cluster is not None:
            cluster.stop()
    suffix = "" if args.backend == "sqlite" else f"-{args.backend}"
    out = ROOT / "benchmarks" / "results" / f"imports-{args.rows}{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(markdown(results))


if __name__ == "__main__":
    main()
