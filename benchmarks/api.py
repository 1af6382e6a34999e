"""Benchmark: the REST API's list endpoints at a million candidates, under 20 concurrent
clients over HTTP (run by hand, never as a test).

    .venv/bin/python benchmarks/api.py                              # 1,000,000 candidates
    .venv/bin/python benchmarks/api.py --candidates 2000 --seconds 5  # does it work?

1. Builds (once, kept in --database) or reuses the database of benchmarks/web.py — the
   agenda benchmark's organisation, N candidates with their touchpoints and open threads,
   50 jobs, an application for one candidate in four — through web.py's own `child`, and
   creates a read API key for the busiest recruiter (a new one each run).
2. Serves it with `relance web` (waitress, --threads) on a loopback port, the clock set
   to the data's "now", the API's rate limit off (RELANCE_API_RATE_LIMIT=0: the limit
   protects the service, it is not what is measured).
3. A load process on loopback: --clients threads, each with one keep-alive connection and
   the key, for --seconds, paced (a pause of 0.5 to 1.5 s between requests), then again
   with no pause (saturation), in turn asking for the candidates (no filter), the candidates
   with a filter (source, stars_min, tag, owner), the applications, the open threads and
   the agenda; a list is paged deep, following `next_cursor` for up to --depth pages of
   50, then starts again. One unmeasured request of each first.
4. In the same run, the peer approach on the same queries at the same depth (page
   --depth of 50): Django's Paginator (a COUNT, then OFFSET) against the keyset page the
   API serves (api/cursor.py: the rows after the last id), median of 7, in-process.

Prints a Markdown table for benchmarks/RESULTS.md and writes the raw figures as JSON
(benchmarks/results/api-N.json).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import web  # noqa: E402  (the database, the clock and the summaries)

PAGE = 50
# The lists a client pages through: (kind, path, query).
LISTS = {
    "candidates": [("/api/v1/candidates", {})],
    "candidates_filtered": [
        ("/api/v1/candidates", {"source": "linkedin"}),
        ("/api/v1/candidates", {"stars_min": "2"}),
        ("/api/v1/candidates", {"tag": "java"}),
        ("/api/v1/candidates", {"source": "referral", "stars_min": "3"}),
    ],
    "applications": [("/api/v1/applications", {})],
    "threads": [("/api/v1/threads", {"status": "open"})],
}
KINDS = ("candidates", "candidates_filtered", "applications", "threads", "agenda")
# Each load twice: clients that pause 0.5 to 1.5 s between requests (an ATS syncing, a
# script paging through: about 20 requests a second from 20 clients), then with no pause
# at all (saturation: what one server process can do, each request queued behind others).
MODES = {"paced (pause 0.5–1.5 s)": (0.5, 1.5), "no pause (saturation)": (0.0, 0.0)}


# --- the database and the peer approach (a child process with Django) -------------------


def child(args: argparse.Namespace) -> dict[str, Any]:
    prepared = web.child(args)  # builds or reuses the database; sets up Django
    from relance.api import keys
    from relance.people.models import Organisation, Recruiter

    org = Organisation.objects.get(slug="bench")
    user = Recruiter.objects.get(email=prepared["email"])
    token = keys.create(org, "benchmarks/api.py", "read", user, web.NOW)[1]
    owner = user.pk
    return {
        "token": token,
        "owner": owner,
        "recruiter": user.pk,
        "peer": peer(org, args.depth, owner),
    }


def peer(org: Any, depth: int, owner: int) -> list[dict[str, Any]]:
    """Each list's query as its endpoint builds it, at page `depth`: Django's Paginator
    (COUNT + OFFSET) and the API's keyset page (api/cursor.py)."""
    from django.core.paginator import Paginator

    from relance.api import cursor
    from relance.followups.models import Thread
    from relance.people import candidates
    from relance.people.models import Application, Candidate

    people = Candidate.objects.of(org)
    queries = [
        ("candidates", people),
        ("candidates?source=linkedin", people.filter(source="linkedin")),
        ("candidates?stars_min=2", people.filter(stars__gte=2)),
        ("candidates?tag=java", candidates.with_tag(people, "java")),
        ("candidates?owner=…", people.filter(owner_id=owner)),
        ("applications", Application.objects.filter(organisation=org)),
        ("threads?status=open", Thread.objects.filter(organisation=org, status="open")),
    ]
    out = []
    for name, rows in queries:
        ordered = rows.order_by("-pk")
        page = min(depth, rows.count() // PAGE)  # the deepest full page when fewer
        if page < 2:
            out.append({"list": name, "page": page, "rows": 0})
            continue
        ids = list(ordered.values_list("pk", flat=True)[(page - 1) * PAGE - 1 : page * PAGE])
        token = cursor.encode(ids[0])  # the cursor a client holds at that page

        def paginator(ordered: Any = ordered, page: int = page) -> int:
            return len(list(Paginator(ordered, PAGE).page(page).object_list))

        def keyset(rows: Any = rows, token: str = token) -> int:
            return len(cursor.page(rows, token, PAGE)[0])

        out.append({
            "list": name, "page": page, "rows": keyset(),
            "paginator_ms": web.median_ms(paginator), "keyset_ms": web.median_ms(keyset),
        })  # fmt: skip
    return out


# --- the load (a process of its own: one thread per client) ------------------------------


class Client:
    """An integration: one keep-alive connection and its key."""

    def __init__(self, base: str, token: str) -> None:
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "fr"}

    def get(self, path: str, query: dict[str, str]) -> Any:
        self.connection.request("GET", f"{path}?{urlencode(query)}", headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}?{urlencode(query)}: {response.status} {body[:200]!r}")
        return json.loads(body)


def load(base: str, token: str, clients: int, seconds: float, depth: int,
         recruiter: int, owner: int, pause: tuple[float, float]) -> dict[str, Any]:  # fmt: skip
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    deepest = dict.fromkeys(LISTS, 0)
    errors: list[str] = []
    lock = threading.Lock()
    connected = [Client(base, token) for _ in range(clients)]
    warm = connected[0]  # not measured: the server's threads open their connections
    for lists in LISTS.values():
        for path, query in lists:
            warm.get(path, query)
    warm.get("/api/v1/agenda", {"recruiter": str(recruiter)})
    stop_at = time.monotonic() + seconds

    def run(client: Client, number: int) -> None:
        rng = random.Random(number)
        turn = number
        if pause[1] > 0:  # the clients start one by one, not all in the same millisecond
            time.sleep(rng.uniform(0, pause[1]))
        while time.monotonic() < stop_at:
            kind = KINDS[turn % len(KINDS)]
            turn += 1
            if kind == "agenda":
                pages = [("/api/v1/agenda", {"recruiter": str(recruiter)})]
            else:
                path, query = rng.choice(LISTS[kind])
                if kind == "candidates_filtered" and rng.random() < 0.2:
                    path, query = "/api/v1/candidates", {"owner": str(owner)}
                pages = [(path, {**query, "limit": str(PAGE)})]
            page = 0
            while pages and time.monotonic() < stop_at:
                path, query = pages.pop()
                started = time.perf_counter()
                try:
                    answer = client.get(path, query)
                except Exception as error:
                    with lock:
                        errors.append(str(error))
                    break
                elapsed = (time.perf_counter() - started) * 1000
                page += 1
                with lock:
                    samples[kind].append(elapsed)
                    if kind in deepest:
                        deepest[kind] = max(deepest[kind], page)
                following = answer.get("next_cursor") if isinstance(answer, dict) else None
                if following and page < depth:  # deeper, with the cursor
                    pages.append((path, {**query, "cursor": following}))
                if pause[1] > 0:
                    time.sleep(rng.uniform(*pause))

    threads = [threading.Thread(target=run, args=(c, n)) for n, c in enumerate(connected)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    duration = time.monotonic() - started
    out: dict[str, Any] = {"errors": len(errors), "first_errors": errors[:5], "deepest": deepest}
    total = 0
    for kind, values in samples.items():
        total += len(values)
        out[kind] = web.summary(values)
    out["requests_per_second"] = total / duration
    return out


# --- the parent ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path, help="the SQLite file (kept; default: web.py's)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--depth", type=int, default=20, help="pages of 50 followed per list")
    parser.add_argument("--threads", type=int, default=8, help="relance web --threads")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    if args.load:
        print(json.dumps(load(**json.loads(args.load))))
        return
    # The same file as benchmarks/web.py: built once, for both.
    database = args.database or Path(f"/tmp/relance-web-bench-{args.candidates}.sqlite3")
    run(args, f"sqlite:///{database}")


def run(args: argparse.Namespace, url: str) -> None:
    data = Path(f"/tmp/relance-api-bench-data-{os.getpid()}")
    env = {**os.environ, "DATABASE_URL": url, "RELANCE_DATA_DIR": str(data),
           "RELANCE_SECRET_KEY": "bench", "RELANCE_CLOCK_START": web.NOW.isoformat(),
           "RELANCE_API_RATE_LIMIT": "0"}  # fmt: skip
    print(f"preparing {url} ({args.candidates:,} candidates)…", file=sys.stderr)
    prepared = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--child", "--candidates", str(args.candidates),
             "--seed", str(args.seed), "--depth", str(args.depth)],
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
        base = re.search(r"(http://[^ ]+)/", line).group(1)
        loaded = {}
        for mode, pause in MODES.items():
            spec = {"base": base, "token": prepared["token"], "clients": args.clients,
                    "seconds": args.seconds, "depth": args.depth, "pause": pause,
                    "recruiter": prepared["recruiter"], "owner": prepared["owner"]}  # fmt: skip
            print(f"load ({mode})…", file=sys.stderr)
            done = subprocess.run(
                [sys.executable, __file__, "--load", json.dumps(spec)],
                env=env, stdout=subprocess.PIPE, text=True, check=True,
            )  # fmt: skip
            loaded[mode] = json.loads(done.stdout.splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=30)
    results = {
        "candidates": args.candidates, "clients": args.clients, "seconds": args.seconds,
        "depth": args.depth, "threads": args.threads, "load": loaded, "peer": prepared["peer"],
    }  # fmt: skip
    out = ROOT / "benchmarks" / "results" / f"api-{args.candidates}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(markdown(results))


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"{r['candidates']:,} candidates, {r['clients']} clients for {r['seconds']:g} s, "
        f"each list paged up to {r['depth']} pages of {PAGE} with the cursor, "
        f"`relance web --threads {r['threads']}` (sqlite), load process on loopback.",
    ]
    for mode, load in r["load"].items():
        lines += _table(mode, load)
    lines += [
        "",
        f"Peer approach at page {r['depth']} of {PAGE} (or the list's last full page), median "
        "of 7, in-process, the same queries:",
        "",
        "| list | page | Django's Paginator (COUNT + OFFSET) | keyset cursor (the API) | ratio |",
        "|---|---|---|---|---|",
    ]
    for p in r["peer"]:
        if not p["rows"]:
            lines.append(f"| {p['list']} | | (fewer than 2 pages) | | |")
            continue
        paginator, keyset = p["paginator_ms"], p["keyset_ms"]
        ratio = paginator / max(keyset, 0.001)
        lines.append(
            f"| {p['list']} | {p['page']} | {paginator:.1f} ms | {keyset:.1f} ms | ×{ratio:.1f} |"
        )
    return "\n".join(lines)


def _table(mode: str, load: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"{mode}:",
        "",
        "| endpoint | target p95 | median | p95 | max | requests | deepest page |",
        "|---|---|---|---|---|---|---|",
    ]
    names = {
        "candidates": "GET /candidates", "candidates_filtered": "GET /candidates?filter",
        "applications": "GET /applications", "threads": "GET /threads?status=open",
        "agenda": "GET /agenda?recruiter=",
    }  # fmt: skip
    for kind in KINDS:
        s = load[kind]
        lines.append(
            f"| {names[kind]} | < 100 ms | {s['median']:.1f} ms | {s['p95']:.1f} ms | "
            f"{s['max']:.1f} ms | {s['n']} | {load['deepest'].get(kind, 1)} |"
        )
    lines.append(
        f"| all, requests per second, errors | | | | | {load['requests_per_second']:.1f} | "
        f"{load['errors']} errors |"
    )
    return lines


if __name__ == "__main__":
    main()
