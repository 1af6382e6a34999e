"""Benchmark: the agenda at a million candidates (run by hand, never as a test).

    .venv/bin/python benchmarks/agenda.py                      # 1,000,000 candidates, both backends
    .venv/bin/python benchmarks/agenda.py --candidates 100000 --backends sqlite

Generates N candidates with about ten touchpoints each, in one organisation of 200
recruiters; about one in five has an open thread whose due time the real engine computes
at load. Then it measures, on SQLite and on a throw-away PostgreSQL cluster:

- the bulk load rate;
- the top 50 of one recruiter's agenda (the busiest recruiter);
- the whole plan: everything due in the organisation, every rule applied, warm and cold
  (cold: a new process after the OS page cache was dropped, and for PostgreSQL a server
  restart);
- recomputing one candidate after an event (recompute alone, and a whole reply recorded);
- the naive way — load every open thread of a 50,000-candidate sample with its
  touchpoints and ask the engine — against the stored due times, as a ratio;
- the peak memory of the process.

Each backend runs in its own process (Django's settings are per process); the parent
prints a Markdown table for benchmarks/RESULTS.md and writes the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)  # a Wednesday, 10:30 in Paris
RECRUITERS = 200
BATCH = 10_000
PLACES = [("Europe/Paris", "FR")] * 17 + [
    ("Europe/Brussels", "BE"),
    ("Europe/London", "GB"),
    ("America/Toronto", "CA"),
]


# --- the worker: one backend, in its own process ---------------------------------------


def worker(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if args.cold:
        return measure_cold()
    call_command("migrate", verbosity=0)
    result: dict[str, Any] = {"backend": connection.vendor, "candidates": args.candidates}
    org, recruiters = setup_organisation()
    started = time.perf_counter()
    rows = load(org, recruiters, args.candidates, args.seed)
    result["load_seconds"] = time.perf_counter() - started
    result["insert_seconds"] = rows.pop("insert_seconds")
    result["rows"] = rows
    result["load_rows_per_second"] = sum(rows.values()) / result["load_seconds"]
    result["insert_rows_per_second"] = sum(rows.values()) / result["insert_seconds"]
    analyse()
    result.update(measure_warm(org, args))
    result["database_bytes"] = database_size()
    result["peak_memory_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def setup_organisation() -> tuple[Any, list[int]]:
    from relance.people.models import Organisation, Recruiter

    org = Organisation.objects.create(name="Bench", slug="bench")
    Recruiter.objects.bulk_create(
        Recruiter(
            email=f"r{i}@bench.example",
            first_name=f"R{i}",
            organisation=org,
            password="!",  # unusable
        )
        for i in range(RECRUITERS)
    )
    ids = list(
        Recruiter.objects.filter(organisation=org).order_by("pk").values_list("pk", flat=True)
    )
    return org, ids


def load(org: Any, recruiters: list[int], count: int, seed: int) -> dict[str, int]:
    """Generate and insert in batches; open threads get the engine's real decision."""
    from django.db import connection, transaction

    from relance.followups.models import Thread, Touchpoint
    from relance.people.models import Candidate, Consent

    policy = org.get_policy()
    totals = {"candidates": 0, "touchpoints": 0, "threads": 0, "consents": 0}
    next_ids = {"touch": 1, "thread": 1}
    inserting = 0.0
    for first in range(1, count + 1, BATCH):
        rng = random.Random(seed * 1_000_003 + first)
        batch = generate(
            org.pk, recruiters, first, min(BATCH, count - first + 1), rng, next_ids, policy
        )
        started = time.perf_counter()
        with transaction.atomic():
            insert(connection, Candidate, batch["candidates"])
            insert(connection, Thread, batch["threads"])
            insert(connection, Touchpoint, batch["touchpoints"])
            insert(connection, Consent, batch["consents"])
        inserting += time.perf_counter() - started
        for key in totals:
            totals[key] += len(batch[key])
        if first // BATCH % 10 == 0:
            print(f"  loaded {first + BATCH - 1:,} candidates", file=sys.stderr, flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("people_candidate", "followups_thread", "followups_touchpoint"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    totals["insert_seconds"] = inserting  # type: ignore[assignment]
    return totals


def generate(
    org_id: int,
    recruiters: list[int],
    first: int,
    size: int,
    rng: random.Random,
    next_ids: dict[str, int],
    policy: Any,
) -> dict[str, list[dict[str, Any]]]:
    from relance.engine import (
        CandidateView,
        Channel,
        Direction,
        Purpose,
        Situation,
        ThreadView,
        Touch,
        TouchKind,
        decide,
        priority_key,
    )

    candidates, touchpoints, threads, consents = [], [], [], []
    for cid in range(first, first + size):
        tz, country = rng.choice(PLACES)
        recruiter = recruiters[cid % len(recruiters)]
        stars = rng.choices([0, 1, 2, 3], weights=[40, 30, 20, 10])[0]
        has_linkedin = rng.random() < 0.8
        touches: list[dict[str, Any]] = []

        def touch(
            at: datetime,
            kind: str,
            direction: str,
            channel: str,
            thread: int | None = None,
            step: int | None = None,
            outcome: str = "",
            _cid: int = cid,
            _recruiter: int = recruiter,
            _touches: list[dict[str, Any]] = touches,
        ) -> dict[str, Any]:
            row = {
                "id": next_ids["touch"],
                "organisation_id": org_id,
                "candidate_id": _cid,
                "recruiter_id": _recruiter,
                "thread_id": thread,
                "application_id": None,
                "at": at,
                "kind": kind,
                "direction": direction,
                "channel": channel,
                "outcome": outcome,
                "step": step,
                "doubles_call": False,
                "until": None,
                "subject": "",
                "body": "",
                "reason": "",
            }
            next_ids["touch"] += 1
            _touches.append(row)
            return row

        # An old, finished thread and a history of about ten touchpoints.
        old_start = NOW - timedelta(days=rng.uniform(60, 700))
        old_thread = next_ids["thread"]
        next_ids["thread"] += 1
        start_row = touch(old_start, "message", "out", "linkedin", old_thread, 0)
        threads.append(
            thread_row(
                org_id,
                cid,
                recruiter,
                old_thread,
                "first_message",
                old_start,
                start_row["id"],
                stopped=old_start + timedelta(days=3),
            )
        )
        open_thread = rng.random() < 0.2
        history = 9 - (2 if open_thread else 0)
        for _ in range(history):
            at = old_start + timedelta(days=rng.uniform(0, (NOW - old_start).days - 20))
            kind, direction, channel = rng.choice(
                [
                    ("message", "out", "email"),
                    ("message", "in", "email"),
                    ("message", "in", "linkedin"),
                    ("call", "out", "phone"),
                    ("note", "", ""),
                ]
            )
            touch(at, kind, direction, channel, outcome="no_answer" if kind == "call" else "")
        last_contact = max(t["at"] for t in touches)
        consents_given = False
        if open_thread:
            # A spread like a working team's: some due now, most later (a recruiter works
            # their agenda every day, so the backlog is a day or two deep).
            situation = rng.choices(
                [Situation.FIRST_MESSAGE, Situation.LINKEDIN_INVITATION, Situation.KEEP_IN_TOUCH],
                weights=[45, 20, 35],
            )[0]
            tid = next_ids["thread"]
            next_ids["thread"] += 1
            channel = Channel.LINKEDIN if has_linkedin else Channel.EMAIL
            if situation is Situation.FIRST_MESSAGE:
                if rng.random() < 0.5:
                    started = NOW - timedelta(days=rng.uniform(0.1, 2.5))
                    start = touch(started, "message", "out", channel.value, tid, 0)
                else:
                    started = NOW - timedelta(days=rng.uniform(2.2, 8))
                    start = touch(started, "message", "out", channel.value, tid, 0)
                    touch(
                        started + timedelta(days=2, minutes=30),
                        "message",
                        "out",
                        channel.value,
                        tid,
                        1,
                    )
            elif situation is Situation.LINKEDIN_INVITATION:
                started = NOW - timedelta(days=rng.uniform(0.5, 4))
                start = touch(started, "invitation_accepted", "in", "linkedin")
                if started + timedelta(hours=20) < NOW:
                    touch(started + timedelta(hours=18), "message", "out", "linkedin", tid, 0)
            else:
                # A talent-pool member's watch: due 120 days after the last contact.
                consents_given = True
                last = NOW - timedelta(days=rng.uniform(1, 118))
                start = touch(last, "message", "in", "email")
                started = last
            last_contact = max(last_contact, max(t["at"] for t in touches))
            view = CandidateView(
                timezone=tz, country=country, stars=stars, has_email=True, has_linkedin=has_linkedin,
                consents=frozenset({Purpose.TALENT_POOL}) if consents_given else frozenset(),
                last_contact_at=last_contact,
            )  # fmt: skip
            engine_touches = [
                Touch(
                    seq=t["id"],
                    at=t["at"],
                    kind=TouchKind(t["kind"]),
                    direction=Direction(t["direction"]) if t["direction"] else None,
                    channel=Channel(t["channel"]) if t["channel"] else None,
                    outcome=t["outcome"],
                    thread=t["thread_id"],
                )
                for t in touches
            ]
            thread_view = ThreadView(
                id=tid,
                situation=situation,
                started_at=started,
                start_seq=start["id"],
                recruiter=recruiter,
            )
            decision = decide(thread_view, view, engine_touches, policy, NOW)
            row = thread_row(org_id, cid, recruiter, tid, situation.value, started, start["id"])
            if decision.kind.value == "stop":
                row.update(status="stopped", stopped_at=decision.at, reason=decision.reason)
            else:
                attention = min(decision.at, decision.deadline_at or decision.at)
                row.update(
                    next_kind=decision.action.value if decision.action else "task",
                    next_step=decision.step,
                    next_channel=decision.channel.value if decision.channel else "",
                    next_template=decision.template or "",
                    action_index=decision.action_index,
                    due_at=decision.at,
                    nominal_at=decision.nominal_at,
                    deadline_at=decision.deadline_at,
                    attention_at=attention,
                    priority=priority_key(0, stars, attention, situation),
                    reason=decision.reason,
                    delay_reason=decision.delay or "",
                    reason_params=json.dumps(dict(decision.params)),
                )
            threads.append(row)
        if consents_given:
            consents.append(
                {"id": None, "organisation_id": org_id, "candidate_id": cid, "purpose": "talent_pool",
                 "given_at": old_start, "method": "form", "text": "", "recorded_by_id": None, "withdrawn_at": None}
            )  # fmt: skip
        candidates.append(
            {
                "id": cid,
                "organisation_id": org_id,
                "external_ref": f"c{cid}",
                "first_name": f"Prénom{cid}",
                "last_name": f"Nom{cid}",
                "email": f"c{cid}@example.org",
                "phone": "",
                "linkedin_url": f"https://www.linkedin.com/in/c{cid}" if has_linkedin else "",
                "language": "fr",
                "timezone": tz,
                "country": country,
                "source": "linkedin",
                "stars": stars,
                "tags": "[]",
                "skills": "[]",
                "years_experience": None,
                "desired_role": "",
                "interests": "[]",
                "hook": "",
                "preferred_channel": "",
                "owner_id": recruiter,
                "unsubscribed_at": None,
                "do_not_contact_at": None,
                "email_bounced_at": None,
                "last_contact_at": last_contact,
                "created_at": old_start,
            }
        )
        touchpoints.extend(touches)
    return {
        "candidates": candidates,
        "touchpoints": touchpoints,
        "threads": threads,
        "consents": consents,
    }


def thread_row(
    org_id: int,
    cid: int,
    recruiter: int,
    tid: int,
    situation: str,
    started: datetime,
    start_touch: int,
    stopped: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": tid,
        "organisation_id": org_id,
        "candidate_id": cid,
        "recruiter_id": recruiter,
        "application_id": None,
        "situation": situation,
        "status": "stopped" if stopped else "open",
        "started_at": started,
        "start_touchpoint_id": start_touch,
        "anchor_at": None,
        "stage_rank": None,
        "late_stage": False,
        "trigger": "",
        "held_action": None,
        "snoozed_until": None,
        "next_kind": "",
        "next_step": None,
        "next_channel": "",
        "next_template": "",
        "action_index": None,
        "due_at": None,
        "nominal_at": None,
        "deadline_at": None,
        "attention_at": None,
        "priority": None,
        "reason": "plan_done" if stopped else "",
        "delay_reason": "",
        "reason_params": "{}",
        "stopped_at": stopped,
    }


def insert(connection: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and rows[0].get(f.column) is None)
    ]
    columns = [f.column for f in fields]
    # A column added since the generator was written takes its field's default.
    defaults = {f.column: f.get_default() for f in fields}
    rows = [row if len(row) == len(columns) else {**defaults, **row} for row in rows]
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        return
    adapt = connection.ops.adapt_datetimefield_value
    values = [
        [
            adapt(v) if isinstance(v, datetime) else (int(v) if isinstance(v, bool) else v)
            for v in (row[c] for c in columns)
        ]
        for row in rows
    ]
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", values
        )


def analyse() -> None:
    """Statistics for the planner; on PostgreSQL also the visibility map that index-only
    scans need (what autovacuum keeps up to date on a live server)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def database_size() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
        else:
            cursor.execute(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            )
        return int(cursor.fetchone()[0])


def timed(fn: Any, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "min_ms": ordered[0],
        "runs": len(ordered),
    }


def measure_warm(org: Any, args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction
    from django.db.models import Count

    from relance.followups import agenda, services
    from relance.followups.events import Event, EventType
    from relance.followups.models import Thread
    from relance.people.models import Candidate, Recruiter

    out: dict[str, Any] = {}
    due = Thread.objects.filter(organisation=org, status="open", attention_at__lte=NOW)
    out["open_threads"] = Thread.objects.filter(organisation=org, status="open").count()
    out["due_in_org"] = due.count()
    busiest = due.values("recruiter_id").annotate(n=Count("id")).order_by("-n").first()
    recruiter = Recruiter.objects.get(pk=busiest["recruiter_id"])
    out["due_for_busiest_recruiter"] = busiest["n"]

    def top50() -> None:
        assert len(agenda.items(org, NOW, NOW, recruiter, 50)) == min(50, busiest["n"])

    timed(top50, 5)
    out["top50"] = summary(timed(top50, 200))

    def whole() -> None:
        assert len(agenda.plan(org, NOW)) == out["due_in_org"]

    timed(whole, 3)
    out["plan_warm"] = summary(timed(whole, 20))

    # One candidate after an event: the recompute alone, then a whole reply recorded.
    rng = random.Random(args.seed)
    with_open = list(
        Thread.objects.filter(organisation=org, status="open").values_list(
            "candidate_id", flat=True
        )[:5000]
    )
    sample = rng.sample(with_open, min(400, len(with_open)))
    recompute_ms = []
    for cid in sample[:200]:
        candidate = Candidate.objects.get(pk=cid)
        started = time.perf_counter()
        with transaction.atomic():
            services.recompute_candidate(candidate, NOW)
        recompute_ms.append((time.perf_counter() - started) * 1000)
    out["recompute_one_candidate"] = summary(recompute_ms)
    reply_ms = []
    for cid in sample[200:400]:
        candidate = Candidate.objects.get(pk=cid)
        event = Event(EventType.REPLY_RECEIVED, NOW, candidate, channel=None)
        started = time.perf_counter()
        services.record_event(event, now=NOW)
        reply_ms.append((time.perf_counter() - started) * 1000)
    out["record_reply_and_recompute"] = summary(reply_ms)

    out.update(measure_naive(org, args.naive_sample))
    return out


def measure_naive(org: Any, sample: int) -> dict[str, Any]:
    """The naive agenda: load every open thread of the sample and its touchpoints, build
    the views, ask the engine, keep what is due, sort. What the stored due times avoid."""
    from relance.engine import (
        Channel,
        Direction,
        Situation,
        ThreadView,
        Touch,
        TouchKind,
        decide,
        priority_key,
    )
    from relance.engine.types import CandidateView
    from relance.followups import agenda
    from relance.followups.models import Thread, Touchpoint
    from relance.people.models import Candidate

    policy = org.get_policy()

    def naive() -> list[tuple[int, int]]:
        threads = list(
            Thread.objects.filter(
                organisation=org, status="open", candidate_id__lte=sample
            ).values_list(
                "id",
                "candidate_id",
                "situation",
                "started_at",
                "start_touchpoint_id",
                "recruiter_id",
            )
        )
        ids = {t[1] for t in threads}
        people = {
            row[0]: row
            for row in Candidate.objects.filter(pk__in=ids).values_list(
                "id",
                "timezone",
                "country",
                "stars",
                "email",
                "phone",
                "linkedin_url",
                "last_contact_at",
            )
        }
        touches: dict[int, list[Touch]] = {}
        for row in (
            Touchpoint.objects.filter(candidate_id__in=ids)
            .values_list(
                "id", "candidate_id", "at", "kind", "direction", "channel", "outcome", "thread_id"
            )
            .iterator(chunk_size=20_000)
        ):
            touches.setdefault(row[1], []).append(
                Touch(
                    seq=row[0],
                    at=row[2],
                    kind=TouchKind(row[3]),
                    direction=Direction(row[4]) if row[4] else None,
                    channel=Channel(row[5]) if row[5] else None,
                    outcome=row[6],
                    thread=row[7],
                )
            )
        due = []
        for tid, cid, situation, started, start_seq, recruiter in threads:
            p = people[cid]
            view = CandidateView(
                timezone=p[1],
                country=p[2],
                stars=p[3],
                has_email=bool(p[4]),
                has_phone=bool(p[5]),
                has_linkedin=bool(p[6]),
                last_contact_at=p[7],
            )
            thread = ThreadView(
                id=tid,
                situation=Situation(situation),
                started_at=started,
                start_seq=start_seq or 0,
                recruiter=recruiter,
            )
            decision = decide(thread, view, touches.get(cid, []), policy, NOW)
            if decision.kind.value in ("send", "task", "alert"):
                due.append((priority_key(0, p[3], decision.at, Situation(situation)), tid))
        due.sort()
        return due

    started = time.perf_counter()
    naive_due = naive()
    naive_ms = (time.perf_counter() - started) * 1000

    def indexed() -> list[Any]:
        return list(
            agenda._due(org, NOW, None)
            .filter(candidate_id__lte=sample)
            .order_by("priority", "pk")
            .values_list(
                "id",
                "candidate_id",
                "recruiter_id",
                "situation",
                "next_kind",
                "next_step",
                "next_channel",
                "due_at",
                "priority",
            )
        )

    timed(indexed, 3)
    indexed_ms = summary(timed(indexed, 10))["median_ms"]
    same = len(naive_due) == len(indexed())
    return {
        "naive_sample_candidates": sample,
        "naive_ms": naive_ms,
        "naive_due": len(naive_due),
        "indexed_sample_ms": indexed_ms,
        "naive_vs_indexed_ratio": naive_ms / indexed_ms,
        "naive_and_indexed_agree_on_count": same,
    }


def measure_cold() -> dict[str, Any]:
    """The first whole-plan query of a new process (and, for PostgreSQL, of a restarted
    server), after the parent dropped the OS page cache when it could."""
    started = time.perf_counter()
    from relance.followups import agenda
    from relance.people.models import Organisation

    org = Organisation.objects.get(slug="bench")
    rows = agenda.plan(org, NOW)
    return {"plan_cold_ms": (time.perf_counter() - started) * 1000, "plan_cold_rows": len(rows)}


# --- the parent: one process per backend -------------------------------------------------


def drop_os_cache() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from tests.pgserver import Cluster

    env = {**os.environ, "RELANCE_DATA_DIR": str(workdir / "data"), "RELANCE_SECRET_KEY": "bench"}
    cluster = None
    if backend == "postgresql":
        cluster = Cluster(fast=False)
        env["DATABASE_URL"] = cluster.start()
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--candidates",
        str(args.candidates),
        "--seed",
        str(args.seed),
        "--naive-sample",
        str(args.naive_sample),
    ]
    try:
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{backend} worker failed")
        result = json.loads(done.stdout.splitlines()[-1])
        colds = []
        for _ in range(3):
            if cluster is not None:
                cluster.restart()
            result["os_cache_dropped"] = drop_os_cache()
            cold = subprocess.run(
                [*command, "--cold"], env=env, capture_output=True, text=True, check=True
            )
            colds.append(json.loads(cold.stdout.splitlines()[-1])["plan_cold_ms"])
        result["plan_cold"] = summary(colds)
        return result
    finally:
        if cluster is not None:
            cluster.stop()


def markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    def ms(x: float) -> str:
        return f"{x:,.1f} ms" if x < 1000 else f"{x / 1000:,.2f} s"

    lines = [
        f"Command: `.venv/bin/python benchmarks/agenda.py --candidates {args.candidates} --backends {','.join(args.backends)}`",
        "",
        "| measure | target | " + " | ".join(r["backend"] for r in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]

    def row(name: str, target: str, fn: Any) -> None:
        lines.append(f"| {name} | {target} | " + " | ".join(fn(r) for r in results) + " |")

    row(
        "rows loaded (candidates / touchpoints / threads / consents)",
        "",
        lambda r: (
            f"{r['rows']['candidates']:,} / {r['rows']['touchpoints']:,} / {r['rows']['threads']:,} / {r['rows']['consents']:,}"
        ),
    )
    row(
        "bulk load: inserting (generating with the engine included)",
        "",
        lambda r: (
            f"{r['insert_rows_per_second']:,.0f} rows/s ({r['load_rows_per_second']:,.0f} rows/s, {r['load_seconds']:,.0f} s)"
        ),
    )
    row(
        "open threads / due now in the organisation",
        "",
        lambda r: f"{r['open_threads']:,} / {r['due_in_org']:,}",
    )
    row(
        "top 50 of the busiest recruiter's agenda (median, p95)",
        "< 5 ms",
        lambda r: (
            f"{ms(r['top50']['median_ms'])}, {ms(r['top50']['p95_ms'])} ({r['due_for_busiest_recruiter']} due)"
        ),
    )
    row(
        "whole plan, warm (median, p95)",
        "< 250 ms",
        lambda r: f"{ms(r['plan_warm']['median_ms'])}, {ms(r['plan_warm']['p95_ms'])}",
    )
    row(
        "whole plan, cold (median of 3)",
        "< 1 s",
        lambda r: (
            f"{ms(r['plan_cold']['median_ms'])} (OS cache dropped: {'yes' if r['os_cache_dropped'] else 'no'})"
        ),
    )
    row(
        "recompute one candidate (median, p95)",
        "< 5 ms",
        lambda r: (
            f"{ms(r['recompute_one_candidate']['median_ms'])}, {ms(r['recompute_one_candidate']['p95_ms'])}"
        ),
    )
    row(
        "record a reply + recompute (median, p95)",
        "",
        lambda r: (
            f"{ms(r['record_reply_and_recompute']['median_ms'])}, {ms(r['record_reply_and_recompute']['p95_ms'])}"
        ),
    )
    row(
        f"naive agenda on {args.naive_sample:,} candidates vs stored due times",
        "",
        lambda r: (
            f"{ms(r['naive_ms'])} vs {ms(r['indexed_sample_ms'])}: **×{r['naive_vs_indexed_ratio']:,.0f}** (same count: {r['naive_and_indexed_agree_on_count']})"
        ),
    )
    row("peak memory of the process", "< 1 GiB", lambda r: f"{r['peak_memory_mib']:,.0f} MiB")
    row("database size", "", lambda r: f"{r['database_bytes'] / 2**30:,.2f} GiB")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--backends", type=lambda s: s.split(","), default=["sqlite", "postgresql"])
    parser.add_argument("--naive-sample", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args), default=str))
        return
    results = []
    with tempfile.TemporaryDirectory(
        prefix="relance-bench-", dir=os.environ.get("RELANCE_BENCH_DIR")
    ) as tmp:
        for backend in args.backends:
            print(f"== {backend}", file=sys.stderr, flush=True)
            results.append(run_backend(backend, args, Path(tmp)))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"agenda-{args.candidates}.json").write_text(json.dumps(results, indent=2, default=str))
    print(markdown(results, args))


if __name__ == "__main__":
    main()
