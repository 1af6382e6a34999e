"""Benchmark: e-mails per second from the outbox to a local SMTP sink (run by hand, never
as a test).

    .venv/bin/python benchmarks/delivery.py                     # 20,000 messages, both backends
    .venv/bin/python benchmarks/delivery.py --messages 5000 --backends sqlite --workers 1
    .venv/bin/python benchmarks/delivery.py --profile           # where one worker's time goes

Fills a database with N candidates, each with a follow-up e-mail due in the outbox (through
the real services: tests/crash_setup.py), then, for 1, 2 and 4 worker processes, lets
`relance worker`'s cycle deliver all of them to a local SMTP sink (benchmarks/smtpsink.py,
two processes) and measures messages per second from the moment every worker was ready
to the moment the last one finished. Every send is durably recorded as the worker does it:
SQLite in WAL mode, PostgreSQL with fsync and synchronous commits on.

In the same run, for comparison:
- naive: a loop with smtplib, one connection per message, each built with the standard
  library's EmailMessage, no bookkeeping;
- ceiling: smtplib over one reused connection per process, prebuilt bytes, no bookkeeping
  (1 and 2 processes).

The parent prints a Markdown table for benchmarks/RESULTS.md and writes the raw figures
to benchmarks/results/delivery.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from email.message import EmailMessage
from multiprocessing import Process
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WEDNESDAY = "2026-03-04T10:00:00+01:00"  # the follow-ups are due at 09:00: all in the window


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SinkProcesses:
    def __init__(self, processes: int = 2) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="relance-sink-"))
        sink = [sys.executable, str(ROOT / "benchmarks" / "smtpsink.py"), str(self.port)]
        self.procs = [
            subprocess.Popen([*sink, str(self.dir / f"count{n}")]) for n in range(processes)
        ]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the SMTP sink did not start")

    def stop(self) -> int:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(10)
        total = sum(int(path.read_text()) for path in self.dir.glob("count*"))
        shutil.rmtree(self.dir, ignore_errors=True)
        return total


# --- the worker child -------------------------------------------------------------------


def child(name: str) -> None:
    """One worker process: set up, say ready, wait for "go", deliver everything due."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.settings")
    import django

    django.setup()
    from relance.worker import Worker

    now = datetime.fromisoformat(WEDNESDAY)
    worker = Worker(name=name, clock=lambda: now, batch=int(os.environ["BENCH_BATCH"]))
    # A worker runs for days: its one-time costs (the holidays package imports every
    # country on first use, a third of a second) are paid before the clock starts.
    from relance.engine import calendar

    calendar.holiday_name(now.date(), "FR")
    profiling = bool(os.environ.get("BENCH_PROFILE"))
    phases = {} if profiling else time_phases()
    print("ready", flush=True)
    sys.stdin.readline()
    started, cpu = time.perf_counter(), time.process_time()
    if profiling:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        report = profile.runcall(worker.cycle)
        stats = pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(30)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    else:
        report = worker.cycle()
    elapsed = time.perf_counter() - started
    worker.transport.close()
    phases["cpu"] = time.process_time() - cpu  # the worker's own processor time
    print(json.dumps({"sent": report.sent, "seconds": elapsed, "phases": phases}), flush=True)


def time_phases() -> dict[str, float]:
    """Seconds spent in each phase of delivering a claim: checking the rules again,
    sending, recording (wrapping the three functions; a few microseconds per claim)."""
    from relance.followups import steps
    from relance.messaging import outbox, transport

    spent = {"check": 0.0, "send": 0.0, "of which step": 0.0, "of which smtp": 0.0, "record": 0.0}

    def timed(name: str, function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - began

        return run

    outbox._check = timed("check", outbox._check)  # type: ignore[method-assign]
    outbox._send = timed("send", outbox._send)  # type: ignore[method-assign]
    steps.record_sent = timed("record", steps.record_sent)  # type: ignore[assignment]
    outbox._Step.next = timed("of which step", outbox._Step.next)  # type: ignore[method-assign]
    transport.DjangoTransport.send = timed(  # type: ignore[method-assign]
        "of which smtp", transport.DjangoTransport.send
    )
    return spent


def run_workers(url: str, count: int, smtp_port: int, batch: int, profile: bool) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RELANCE_SMTP_HOST": "127.0.0.1",
        "RELANCE_SMTP_PORT": str(smtp_port),
        "RELANCE_LANGUAGE": "en",
        "BENCH_BATCH": str(batch),
        "BENCH_PROFILE": "1" if profile else "",
    }
    command = [sys.executable, __file__, "--child"]
    children = [
        subprocess.Popen(
            [*command, f"w{n}"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for n in range(count)
    ]
    for proc in children:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for proc in children:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = []
    for proc in children:
        assert proc.stdout is not None
        reports.append(json.loads(proc.stdout.readline()))
        proc.wait(60)
    elapsed = time.perf_counter() - started
    sent = sum(r["sent"] for r in reports)
    phases = {
        name: round(
            sum(r.get("phases", {}).get(name, 0.0) for r in reports) / max(sent, 1) * 1e3, 3
        )
        for name in reports[0].get("phases", {})
    }
    return {"workers": count, "sent": sent, "seconds": elapsed, "per_second": sent / elapsed,
            "ms_per_message": phases}  # fmt: skip


# --- databases --------------------------------------------------------------------------


def fill(url: str, messages: int) -> None:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tests.crash_setup", str(messages)],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=True,
    )  # fmt: skip
    print(f"  filled {messages} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


class SqliteCopies:
    def __init__(self, messages: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="relance-bench-"))
        self.template = self.dir / "template.sqlite3"
        fill(f"sqlite:///{self.template}", messages)
        with sqlite3.connect(self.template) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def fresh(self, name: str) -> str:
        copy = self.dir / f"{name}.sqlite3"
        shutil.copy(self.template, copy)
        return f"sqlite:///{copy}"

    def rows(self, url: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(OUTBOX_QUERY).fetchall()

    def stop(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresCopies:
    def __init__(self, messages: int, durable: bool = True) -> None:
        from tests.pgserver import Cluster

        self.cluster = Cluster(fast=not durable)  # by default fsync and synchronous commits on
        admin = self.cluster.start()
        self._admin(admin, "CREATE DATABASE template_bench")
        fill(self.cluster.url("template_bench"), messages)

    def _admin(self, url: str, statement: str) -> None:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement)

    def fresh(self, name: str) -> str:
        self._admin(self.cluster.url("postgres"), f"CREATE DATABASE {name} TEMPLATE template_bench")
        return self.cluster.url(name)

    def rows(self, url: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(OUTBOX_QUERY).fetchall()

    def stop(self) -> None:
        self.cluster.stop()


OUTBOX_QUERY = "SELECT status, count(*) FROM messaging_outboxmessage GROUP BY status"


# --- the references ---------------------------------------------------------------------


def messages_of(url_rows: list[tuple[str, str, str, str]], count: int) -> list[tuple[Any, ...]]:
    return url_rows[:count]


def naive(port: int, rows: list[tuple[str, str, str, str]]) -> float:
    """One connection per message, built with the standard library, nothing recorded."""
    started = time.perf_counter()
    for sender, to, subject, body in rows:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message.set_content(body)
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.sendmail(sender, [to], message.as_bytes())
    return len(rows) / (time.perf_counter() - started)


def _bare(port: int, payload: bytes, count: int) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for _ in range(count):
            smtp.sendmail("claire@test.example", ["c1@example.org"], payload)


def ceiling(port: int, processes: int, count: int, payload: bytes) -> float:
    """smtplib over one reused connection per process, prebuilt bytes, nothing recorded."""
    started = time.perf_counter()
    procs = [Process(target=_bare, args=(port, payload, count)) for _ in range(processes)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return processes * count / (time.perf_counter() - started)


def sample_rows(url: str, count: int) -> list[tuple[str, str, str, str]]:
    query = (
        "SELECT from_address, to_address, subject, body FROM messaging_outboxmessage "
        f"ORDER BY id LIMIT {count}"
    )
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(query).fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()  # type: ignore[return-value]


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument(
        "--profile", action="store_true", help="one worker on the first backend, profiled"
    )
    parser.add_argument(
        "--pg-no-fsync",
        action="store_true",
        help="PostgreSQL without fsync: how much of its time waiting for the disk takes",
    )
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sink = SinkProcesses()
    results: dict[str, Any] = {"messages": args.messages, "runs": []}
    try:
        if args.profile:
            backend = args.backends.split(",")[0]
            copies = (
                SqliteCopies(args.messages)
                if backend == "sqlite"
                else PostgresCopies(args.messages, durable=not args.pg_no_fsync)
            )
            url = copies.fresh("profiled")
            print(run_workers(url, 1, sink.port, args.batch, profile=True))
            copies.stop()
            return
        for backend in args.backends.split(","):
            print(f"{backend}:", file=sys.stderr)
            copies: SqliteCopies | PostgresCopies = (
                SqliteCopies(args.messages)
                if backend == "sqlite"
                else PostgresCopies(args.messages)
            )
            try:
                for count in map(int, args.workers.split(",")):
                    url = copies.fresh(f"run_{count}")
                    run = run_workers(url, count, sink.port, args.batch, profile=False)
                    run["backend"] = backend
                    run["statuses"] = dict(copies.rows(url))
                    print(f"  {count} worker(s): {run['per_second']:.0f}/s, worker ms per message"
                          f" {run['ms_per_message']}", file=sys.stderr)  # fmt: skip
                    results["runs"].append(run)
                if "references" not in results:
                    rows = sample_rows(copies.fresh("sample"), 2000)
                    payload = b"".join(
                        [b"From: claire@test.example\r\nTo: c1@example.org\r\n",
                         b"Subject: ", rows[0][2].encode(), b"\r\n\r\n", rows[0][3].encode()]
                    )  # fmt: skip
                    results["references"] = {
                        "naive": naive(sink.port, rows),
                        "ceiling_1": ceiling(sink.port, 1, 10_000, payload),
                        "ceiling_2": ceiling(sink.port, 2, 10_000, payload),
                    }
            finally:
                copies.stop()
    finally:
        received = sink.stop()
    results["sink_received"] = received
    expected = sum(r["sent"] for r in results["runs"])
    print_table(results, received, expected)
    out = ROOT / "benchmarks" / "results" / "delivery.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


def print_table(results: dict[str, Any], received: int, expected: int) -> None:
    refs = results.get("references", {})
    print(f"\n{results['messages']} messages per run; sink received {received} "
          f"(workers sent {expected}, plus the references)\n")  # fmt: skip
    print("| backend | workers | messages/s | × naive | share of ceiling | statuses |")
    print("|---|---:|---:|---:|---:|---|")
    for run in results["runs"]:
        ceil = refs.get("ceiling_1" if run["workers"] == 1 else "ceiling_2", 0)
        print(
            f"| {run['backend']} | {run['workers']} | {run['per_second']:,.0f} | "
            f"{run['per_second'] / refs.get('naive', 1):.1f} | "
            f"{run['per_second'] / ceil:.0%} | {run['statuses']} |"
            if ceil
            else f"| {run['backend']} | {run['workers']} | {run['per_second']:,.0f} | | | |"
        )
    if refs:
        print(f"\nnaive (smtplib, a connection per message, EmailMessage): {refs['naive']:,.0f}/s")
        print(f"ceiling, smtplib reused connection, 1 process: {refs['ceiling_1']:,.0f}/s; "
              f"2 processes: {refs['ceiling_2']:,.0f}/s")  # fmt: skip


if __name__ == "__main__":
    main()
