"""Benchmark: the web app's pages at a million candidates, under concurrent users (run by
hand, never as a test).

    .venv/bin/python benchmarks/web.py                         # 1,000,000 candidates
    .venv/bin/python benchmarks/web.py --candidates 100000 --seconds 20
    .venv/bin/python benchmarks/web.py --backend postgresql    # a throw-away cluster

1. Builds (once, kept in --database) the SQLite database of benchmarks/agenda.py: one
   organisation of 200 recruiters, N candidates with about ten touchpoints each, open
   threads with the engine's real decisions; plus 50 jobs and an application for one
   candidate in four.
2. Serves it with `relance web` (waitress, --threads) on a loopback port, its clock set to
   the data's "now".
3. A load process on loopback signs 20 users in as the busiest recruiter and has each ask,
   in turn, for the Today page, a random candidate's page and a filtered candidate list,
   for --seconds (after one unmeasured request for each page, and with the users
   arriving within the first pause rather than all at once): once as people work (a
   pause of 1 to 3 s between pages, like locust's `between(1, 3)`), once with no pause
   at all (saturation: what the server can do).
4. In the same run, the peer approach for the list: Django's Paginator (a COUNT of the
   filtered rows and an OFFSET) against the keyset pages the app uses, on a deep page.

Prints a Markdown table for benchmarks/RESULTS.md and writes the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)  # the agenda benchmark's moment
PASSWORD = "bench-password"
# Filters that match many candidates, and some that match few or none (a tag nobody has,
# a name prefix): a page reads at most WINDOW ids either way.
LISTS = [
    "/candidates/?stars=2",
    "/candidates/?source=linkedin&contact=90",
    "/candidates/?stage=interview",
    "/candidates/?consent=talent_pool",
    "/candidates/?stars=3&source=referral",
    "/candidates/?tag=java",
    "/candidates/?contact=never",
    "/candidates/?q=nom12",
    # The orders other than the newest first, alone and with a filter (issue 13).
    "/candidates/?sort=name",
    "/candidates/?sort=stars",
    "/candidates/?sort=contact",
    "/candidates/?sort=name&stars=2",
    "/candidates/?sort=contact&source=linkedin",
    "/candidates/?sort=stars&tag=java",
]
KINDS = ("today", "candidate", "list", "pipeline")


# --- building and preparing the database (a child process with Django) ----------------


def child(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.settings")
    import django

    django.setup()
    from benchmarks import agenda
    from django.core.management import call_command
    from django.db import connection

    from relance.people.models import Organisation, Recruiter

    call_command("migrate", verbosity=0)
    if not Organisation.objects.filter(slug="bench").exists():
        org, recruiters = agenda.setup_organisation()
        agenda.load(org, recruiters, args.candidates, args.seed)
        add_jobs(org, args.seed)
        agenda.analyse()
    org = Organisation.objects.get(slug="bench")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT recruiter_id FROM followups_thread WHERE status = 'open' AND "
            "organisation_id = %s AND attention_at <= %s GROUP BY recruiter_id "
            "ORDER BY count(*) DESC LIMIT 1",
            [org.pk, NOW.isoformat(" ")],
        )
        busiest = cursor.fetchone()[0]
        cursor.execute("SELECT min(id), max(id) FROM people_candidate")
        low, high = cursor.fetchone()
        cursor.execute("SELECT id FROM people_job WHERE organisation_id = %s", [org.pk])
        jobs = [row[0] for row in cursor.fetchall()]
    user = Recruiter.objects.get(pk=busiest)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return {
        "email": user.email,
        "candidates": [low, high],
        "jobs": jobs,
        "paginator": peer_list(org),
    }


def add_jobs(org: Any, seed: int) -> None:
    """50 jobs, and one candidate in four applying to one, at a random stage."""
    from benchmarks import agenda
    from django.db import connection, transaction

    from relance.engine import Stage
    from relance.people.models import Application, Candidate, Job

    rng = random.Random(seed)
    jobs = Job.objects.bulk_create(
        Job(organisation=org, title=f"Job {n}", created_at=NOW) for n in range(50)
    )
    stages = [s.value for s in Stage]
    ids = list(Candidate.objects.of(org).values_list("pk", flat=True))
    rows = []
    for pk in ids[::4]:
        stage = rng.choice(stages)
        rows.append(
            {
                "organisation_id": org.pk, "candidate_id": pk, "job_id": rng.choice(jobs).pk,
                "stage": stage, "furthest_stage": stage, "stage_changed_at": NOW,
                "applied_at": None, "last_interview_at": None,
            }
        )  # fmt: skip
    with transaction.atomic():
        for start in range(0, len(rows), 10_000):
            agenda.insert(connection, Application, rows[start : start + 10_000])


def peer_list(org: Any) -> dict[str, Any]:
    """A deep page of a filtered list, two ways: Django's Paginator (COUNT, then OFFSET)
    and the keyset page the app serves (the rows after the last id shown)."""
    from django.core.paginator import Paginator

    from relance.people.models import Candidate

    rows = Candidate.objects.of(org).filter(stars__gte=2).order_by("-pk")
    page_number = max(1, min(200, rows.count() // 100))  # a deep page, within the rows

    def paginator() -> int:
        page = Paginator(rows, 50).page(page_number)
        return len(list(page.object_list))

    after = rows.values_list("pk", flat=True)[page_number * 50 - 1]

    def keyset() -> int:
        return len(list(rows.filter(pk__lt=after)[:51]))

    return {
        "page": page_number,
        "paginator_ms": median_ms(paginator),
        "keyset_ms": median_ms(keyset),
    }


def median_ms(fn: Any, repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


# --- the load (a process of its own: one thread per user) -------------------------------


class User:
    """A browser: one keep-alive connection, its cookies, signed in."""

    def __init__(self, base: str, email: str) -> None:
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.cookies: dict[str, str] = {}
        page = self.request("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode({"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token})
        self.request("POST", "/login/", body, expect=302)
        assert "sessionid" in self.cookies, "sign-in failed"

    def request(self, method: str, path: str, body: str | None = None, expect: int = 200) -> str:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        headers["Accept-Language"] = "fr"
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = "http://127.0.0.1/login/"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status}")
        return text


def load(base: str, email: str, users: int, seconds: float, think: tuple[float, float],
         candidates: tuple[int, int], jobs: list[int]) -> dict[str, Any]:  # fmt: skip
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    errors: list[str] = []
    lock = threading.Lock()
    signed = [User(base, email) for _ in range(users)]
    # Warm-up, not measured: one user asks once for every kind of page and every list
    # (the server compiles its templates, its threads open their connections).
    warm = signed[0]
    for path in ["/", f"/candidates/{candidates[0]}/", f"/jobs/{jobs[0]}/", *LISTS]:
        warm.request("GET", path)
    stop_at = time.monotonic() + seconds

    def run(user: User, number: int) -> None:
        rng = random.Random(number)
        turn = number
        if think[1] > 0:  # people arrive one by one, not all in the same millisecond
            time.sleep(rng.uniform(0, think[1]))
        while time.monotonic() < stop_at:
            kind = KINDS[turn % len(KINDS)]
            turn += 1
            if kind == "today":
                path = "/"
            elif kind == "candidate":
                path = f"/candidates/{rng.randint(*candidates)}/"
            elif kind == "pipeline":
                path = f"/jobs/{rng.choice(jobs)}/"
            else:
                path = rng.choice(LISTS)
            started = time.perf_counter()
            try:
                user.request("GET", path)
            except Exception as error:
                with lock:
                    errors.append(f"{path}: {error}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                samples[kind].append(elapsed)
            if think[1] > 0:
                time.sleep(rng.uniform(*think))

    threads = [threading.Thread(target=run, args=(u, n)) for n, u in enumerate(signed)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    duration = time.monotonic() - started
    out: dict[str, Any] = {"errors": len(errors), "first_errors": errors[:5]}
    total = 0
    for kind, values in samples.items():
        total += len(values)
        out[kind] = summary(values)
    out["requests_per_second"] = total / duration
    return out


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "median": 0.0, "p95": 0.0, "max": 0.0}
    ordered = sorted(values)
    return {
        "n": len(values),
        "median": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "max": ordered[-1],
    }


# --- the parent ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path, help="the SQLite file (kept; default: /tmp)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8, help="relance web --threads")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    if args.load:
        spec = json.loads(args.load)
        print(json.dumps(load(**spec)))
        return

    cluster = None
    if args.backend == "postgresql":  # built anew in a throw-away cluster, fsync on
        from tests.pgserver import Cluster

        cluster = Cluster(fast=False)
        url = cluster.start()
    else:
        database = args.database or Path(f"/tmp/relance-web-bench-{args.candidates}.sqlite3")
        url = f"sqlite:///{database}"
    try:
        run(args, url)
    finally:
        if cluster is not None:
            cluster.stop()


def run(args: argparse.Namespace, url: str) -> None:
    data = Path(f"/tmp/relance-web-bench-data-{os.getpid()}")
    env = {**os.environ, "DATABASE_URL": url, "RELANCE_DATA_DIR": str(data),
           "RELANCE_SECRET_KEY": "bench", "RELANCE_CLOCK_START": NOW.isoformat()}  # fmt: skip
    print(f"preparing {url} ({args.candidates:,} candidates)…", file=sys.stderr)
    prepared = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--child", "--candidates", str(args.candidates),
             "--seed", str(args.seed)],
            env=env, stdout=subprocess.PIPE, text=True, check=True,
        ).stdout.splitlines()[-1]
    )  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "relance.cli", "web", "--port", "0", "--threads",
         str(args.threads), "--lang", "en"],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = server.stdout.readline()
        base = re.search(r"(http://[^ ]+/)", line).group(1)
        results: dict[str, Any] = {
            "candidates": args.candidates, "users": args.users, "seconds": args.seconds,
            "threads": args.threads, "paginator": prepared["paginator"],
            "backend": args.backend,
        }  # fmt: skip
        for name, think in (("people", (1.0, 3.0)), ("saturation", (0.0, 0.0))):
            spec = {"base": base, "email": prepared["email"], "users": args.users,
                    "seconds": args.seconds, "think": think,
                    "candidates": prepared["candidates"], "jobs": prepared["jobs"]}  # fmt: skip
            print(f"load: {name}…", file=sys.stderr)
            done = subprocess.run(
                [sys.executable, __file__, "--load", json.dumps(spec)],
                env=env, stdout=subprocess.PIPE, text=True, check=True,
            )  # fmt: skip
            results[name] = json.loads(done.stdout.splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=30)
    suffix = "" if args.backend == "sqlite" else f"-{args.backend}"
    out = ROOT / "benchmarks" / "results" / f"web-{args.candidates}{suffix}.json"
    out.write_text(json.dumps(results, indent=2))
    print(markdown(results))


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"{r['candidates']:,} candidates, {r['users']} users for {r['seconds']:g} s each, "
        f"`relance web --threads {r['threads']}` ({r.get('backend', 'sqlite')}), "
        "load process on loopback.",
        "",
        "| page | target p95 | as people work (pause 1–3 s): median, p95 | "
        "no pause (saturation): median, p95 |",
        "|---|---|---|---|",
    ]
    for kind, name in (("today", "Today (busiest recruiter)"), ("candidate", "a candidate"),
                       ("list", "a filtered or sorted candidate list"),
                       ("pipeline", "a job's pipeline")):  # fmt: skip
        if kind not in r["people"]:
            continue
        a, b = r["people"][kind], r["saturation"][kind]
        lines.append(
            f"| {name} | < 150 ms | {a['median']:.1f} ms, {a['p95']:.1f} ms (n={a['n']}) | "
            f"{b['median']:.1f} ms, {b['p95']:.1f} ms (n={b['n']}) |"
        )
    lines.append(
        f"| requests per second, errors | | {r['people']['requests_per_second']:.1f}, "
        f"{r['people']['errors']} | {r['saturation']['requests_per_second']:.1f}, "
        f"{r['saturation']['errors']} |"
    )
    p = r["paginator"]
    lines += [
        "",
        f"Peer approach, page {p['page']} of `?stars=2` (median of 7): Django's Paginator "
        f"(COUNT + OFFSET) {p['paginator_ms']:.1f} ms, keyset (the app) {p['keyset_ms']:.1f} ms: "
        f"×{p['paginator_ms'] / max(p['keyset_ms'], 0.001):.0f}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
