"""Benchmark: segments and campaign preparation at a million candidates (run by hand,
never as a test).

    .venv/bin/python benchmarks/pools.py                          # 1,000,000, SQLite
    .venv/bin/python benchmarks/pools.py --backend postgresql     # a throw-away cluster
    .venv/bin/python benchmarks/pools.py --candidates 100000

1. Builds (once, kept for SQLite) one organisation of N candidates: one in ten knows Java
   (the segment: 100,000 of 1,000,000); 60 % consented to job alerts, 20 % chose a rhythm
   for job offers (some "never"), 30 % received one to three messages in the last ten
   days (the pressure cap), 5 % a job offer ten days ago (the rhythm), 2 % unsubscribed,
   1 % bounced, one in ten applied and was rejected at the final.
2. Measures the preview a recruiter reads before scheduling: the count of who receives
   it, and of who does not by reason, evaluated in the database — first call and warm
   median — for the Java segment and for "finalists on a Java job in the last 18 months
   who consented".
3. Against the naive way, in the same run: load the segment's candidates with their
   consents, preferences and recent messages into Python and judge each one there.
4. Campaign preparation: writes every batch of the Java campaign to the outbox (rendering
   each message, two signed links each) and reports messages written per second, to set
   beside the delivery rate (benchmarks/RESULTS.md, issue 3).

Prints a Markdown table for benchmarks/RESULTS.md and writes the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)  # a Wednesday, 10:30 in Paris
SKILLS = ["Python", "Go", "Rust", "JavaScript", "TypeScript", "SQL", "Kotlin", "Scala", "C#"]
JAVA = {"field": "skills", "any": ["java"]}
FINALISTS = {
    "all": [
        {"field": "application", "stage": ["rejected"], "reached": "final", "job": "java",
         "within_days": 548},
        {"field": "consent", "purpose": "job_alerts"},
    ]
}  # fmt: skip
BATCH = 10_000


def build(count: int, seed: int) -> None:
    from benchmarks.agenda import analyse, insert
    from django.db import connection, transaction

    from relance.followups.models import Touchpoint
    from relance.messaging.models import OutboxMessage
    from relance.people.models import (
        Application,
        Candidate,
        Consent,
        Job,
        Organisation,
        Recruiter,
    )
    from relance.pools.models import Preference

    rng = random.Random(seed)
    org = Organisation.objects.create(name="Bench", slug="bench")
    recruiter = Recruiter.objects.create_user("r@bench.example", organisation=org)
    java = Job.objects.create(organisation=org, title="Développeur Java", created_at=NOW)
    other = Job.objects.create(organisation=org, title="Data engineer", created_at=NOW)
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        ids = range(start + 1, min(count, start + BATCH) + 1)
        people, consents, prefs, touches, box, apps = [], [], [], [], [], []
        for i in ids:
            skills = rng.sample(SKILLS, 2) + (["Java"] if i % 10 == 0 else [])
            roll = rng.random()
            people.append({
                "id": i, "organisation_id": org.pk, "external_ref": "", "first_name": f"P{i}",
                "last_name": f"Nom{i}", "email": f"p{i}@example.org", "phone": "",
                "linkedin_url": "", "language": "fr" if i % 4 else "en",
                "timezone": "Europe/Paris", "country": "FR", "location": "Lyon",
                "source": "linkedin", "stars": i % 4, "tags": "[]", "skills": json.dumps(skills),
                "years_experience": i % 20, "desired_role": "", "interests": "[]", "hook": "",
                "preferred_channel": "", "owner_id": recruiter.pk,
                "unsubscribed_at": NOW - timedelta(days=3) if roll < 0.02 else None,
                "do_not_contact_at": None,
                "email_bounced_at": NOW - timedelta(days=3) if 0.02 <= roll < 0.03 else None,
                "last_contact_at": NOW - timedelta(days=rng.randint(1, 400)),
                "anonymised_at": None, "created_at": NOW - timedelta(days=500),
            })  # fmt: skip
            if rng.random() < 0.6:
                consents.append({
                    "organisation_id": org.pk, "candidate_id": i, "purpose": "job_alerts",
                    "given_at": NOW - timedelta(days=60), "method": "link", "text": "…",
                    "version": "2026-11", "language": "fr", "recorded_by_id": None,
                    "withdrawn_at": None,
                })  # fmt: skip
            if rng.random() < 0.2:
                prefs.append({
                    "organisation_id": org.pk, "candidate_id": i, "topic": "job_offers",
                    "frequency": rng.choice(["weekly", "monthly", "never"]), "updated_at": NOW,
                })  # fmt: skip
            if rng.random() < 0.3:
                for _ in range(rng.randint(1, 3)):
                    touches.append({
                        "organisation_id": org.pk, "candidate_id": i,
                        "recruiter_id": recruiter.pk, "thread_id": None, "application_id": None,
                        "at": NOW - timedelta(days=rng.uniform(0.5, 10)), "kind": "message",
                        "direction": "out", "channel": "email", "outcome": "", "step": None,
                        "doubles_call": False, "until": None, "subject": "", "body": "x",
                        "reason": "", "message_id": "",
                    })  # fmt: skip
            if rng.random() < 0.05:
                box.append({
                    "organisation_id": org.pk, "candidate_id": i, "thread_id": None,
                    "recruiter_id": None, "action_index": None, "step": None, "reason": "campaign",
                    "doubles_call": False, "campaign_id": None, "topic": "job_offers",
                    "by_hand": False, "message_id": f"<old.{i}@bench>", "from_address": "",
                    "to_address": f"p{i}@example.org", "subject": "s", "body": "b",
                    "in_reply_to": "", "references": "", "status": "sent",
                    "due_at": NOW - timedelta(days=10), "attempts": 1, "lease_until": None,
                    "claimed_by": "", "created_at": NOW - timedelta(days=10),
                    "sent_at": NOW - timedelta(days=10), "recorded": True, "last_error": "",
                    "sender_id": None, "to_domain": "example.org", "slot_at": None,
                })  # fmt: skip
            if rng.random() < 0.1:
                apps.append({
                    "organisation_id": org.pk, "candidate_id": i,
                    "job_id": java.pk if i % 10 == 0 or rng.random() < 0.1 else other.pk,
                    "stage": "rejected", "furthest_stage": "final",
                    "stage_changed_at": NOW - timedelta(days=rng.randint(1, 900)),
                    "applied_at": None, "last_interview_at": None,
                })  # fmt: skip
        with transaction.atomic():
            insert(connection, Candidate, people)
            insert(connection, Consent, consents)
            insert(connection, Preference, prefs)
            insert(connection, Touchpoint, touches)
            OutboxMessage.objects.bulk_create([OutboxMessage(**row) for row in box])  # "references"
            insert(connection, Application, apps)
        print(f"  {ids[-1]:,} candidates", file=sys.stderr, end="\r")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('people_candidate', 'id'), %s)", [count]
            )
    analyse()
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    """(first call, warm median) in ms, and the first result."""
    started = time.perf_counter()
    result = fn()
    first = (time.perf_counter() - started) * 1000
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(samples), result


def naive(org: Any, definition: Any) -> dict[str, int]:
    """The peer approach: every candidate of the segment loaded into Python with what the
    rules need, and judged one by one there."""
    from relance.followups.models import Touchpoint
    from relance.messaging.models import OutboxMessage
    from relance.people.models import Candidate, Consent
    from relance.pools.models import Preference

    people = [c for c in Candidate.objects.of(org) if any(s.lower() == "java" for s in c.skills)]
    ids = [c.pk for c in people]
    consents, prefs, recent, week = set(), {}, set(), {}
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk : chunk + 5000]
        consents |= set(Consent.objects.filter(candidate_id__in=part, purpose="job_alerts",
                                               withdrawn_at=None).values_list("candidate_id", flat=True))  # fmt: skip
        prefs.update(Preference.objects.filter(candidate_id__in=part, topic="job_offers")
                     .values_list("candidate_id", "frequency"))  # fmt: skip
        for pk, at in OutboxMessage.objects.filter(candidate_id__in=part, topic="job_offers") \
                .values_list("candidate_id", "created_at"):  # fmt: skip
            if at > NOW - timedelta(days=28):
                recent.add(pk)
        for pk in Touchpoint.objects.filter(candidate_id__in=part, direction="out",
                                            kind="message", at__gte=NOW - timedelta(days=7)) \
                .values_list("candidate_id", flat=True):  # fmt: skip
            week[pk] = week.get(pk, 0) + 1
    out: dict[str, int] = {}
    for c in people:
        reason = (
            "unsubscribed" if c.unsubscribed_at else "bounced" if c.email_bounced_at
            else "no_consent" if c.pk not in consents
            else "preference_never" if prefs.get(c.pk) == "never"
            else "preference_frequency" if c.pk in recent
            else "pressure_cap" if week.get(c.pk, 0) >= 2 else ""
        )  # fmt: skip
        out[reason] = out.get(reason, 0) + 1
    return out


def child(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from relance.people.models import Organisation, Recruiter
    from relance.pools import campaigns
    from relance.pools.models import Campaign

    call_command("migrate", verbosity=0)
    if not Organisation.objects.filter(slug="bench").exists():
        build(args.candidates, args.seed)
    org = Organisation.objects.get(slug="bench")
    # A run starts from the data as built: no campaign of an earlier run.
    from relance.messaging.models import OutboxMessage

    OutboxMessage.objects.filter(campaign__isnull=False).delete()
    Campaign.objects.filter(organisation=org).delete()
    results: dict[str, Any] = {"candidates": args.candidates, "backend": connection.vendor}
    for name, definition in (("java", JAVA), ("finalists", FINALISTS)):
        first, warm, seen = timed(
            lambda d=definition: campaigns.preview(org, d, "job_offers", NOW), args.repeat
        )
        results[name] = {"first_ms": first, "warm_ms": warm, "total": seen.total,
                         "recipients": seen.recipients, "excluded": seen.excluded}  # fmt: skip
        print(f"preview {name}: {first:.0f} ms first, {warm:.0f} ms warm", file=sys.stderr)
    first, warm, judged = timed(lambda: naive(org, JAVA), 1)
    results["naive"] = {"first_ms": first, "warm_ms": warm, "counts": judged}
    print(f"naive: {warm:.0f} ms", file=sys.stderr)
    # Campaign preparation: every batch of the Java campaign written to the outbox.
    recruiter = Recruiter.objects.filter(organisation=org).first()
    campaign = Campaign.objects.create(
        organisation=org, name="Java", topic="job_offers", definition=JAVA, created_by=recruiter,
        subject_fr="Un poste pour vous, {{ candidate.first_name }}",
        body_fr="Bonjour {{ candidate.first_name }},\nUn poste Java chez {{ company }}.",
        subject_en="A role for you, {{ candidate.first_name }}",
        body_en="Hi {{ candidate.first_name }},\nA Java role at {{ company }}.", created_at=NOW,
    )  # fmt: skip
    campaigns.schedule(campaign, NOW, NOW)
    started, written, batches = time.perf_counter(), 0, []
    while True:
        t0 = time.perf_counter()
        count, finished = campaigns.write_batch(campaign.pk, NOW, args.batch)
        batches.append(time.perf_counter() - t0)
        written += count
        if finished:
            break
    elapsed = time.perf_counter() - started
    results["preparation"] = {
        "written": written, "seconds": elapsed, "per_second": written / elapsed,
        "batch": args.batch, "batch_ms_median": statistics.median(batches) * 1000,
        "batches": len(batches),
    }  # fmt: skip
    print(f"prepared {written:,} in {elapsed:.1f} s", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database", type=Path, help="the SQLite file (kept; default: /tmp)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args), default=str))
        return
    cluster = None
    if args.backend == "postgresql":
        from tests.pgserver import Cluster

        cluster = Cluster(fast=False)
        url = cluster.start()
    else:
        database = args.database or Path(f"/tmp/relance-pools-bench-{args.candidates}.sqlite3")
        url = f"sqlite:///{database}"
    data = Path(f"/tmp/relance-pools-bench-data-{os.getpid()}")
    env = {**os.environ, "DATABASE_URL": url, "RELANCE_DATA_DIR": str(data),
           "RELANCE_SECRET_KEY": "bench"}  # fmt: skip
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--candidates", str(args.candidates),
             "--repeat", str(args.repeat), "--batch", str(args.batch), "--seed", str(args.seed)],
            env=env, stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
    finally:
        if cluster is not None:
            cluster.stop()
    results = json.loads(done.stdout.splitlines()[-1])
    suffix = "" if args.backend == "sqlite" else f"-{args.backend}"
    out = ROOT / "benchmarks" / "results" / f"pools-{args.candidates}{suffix}.json"
    out.write_text(json.dumps(results, indent=2))
    print(markdown(results))


def markdown(r: dict[str, Any]) -> str:
    p = r["preparation"]
    lines = [
        f"| {r['backend']}, {r['candidates']:,} candidates | first call | warm (median) |"
        " in segment | receive it | excluded, by reason |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("java", "finalists"):
        x = r[name]
        reasons = ", ".join(f"{k} {v:,}" for k, v in x["excluded"].items())
        lines.append(
            f"| preview: {name} | {x['first_ms']:.0f} ms | {x['warm_ms']:.0f} ms |"
            f" {x['total']:,} | {x['recipients']:,} | {reasons} |"
        )
    n = r["naive"]
    lines.append(
        f"| naive (load into Python, judge there): java | {n['first_ms']:.0f} ms | — |"
        f" {sum(n['counts'].values()):,} | {n['counts'].get('', 0):,} | — |"
    )
    lines.append(
        f"\nCampaign preparation: {p['written']:,} messages written in {p['seconds']:.1f} s"
        f" ({p['per_second']:,.0f} per second; batches of {p['batch']}, median"
        f" {p['batch_ms_median']:.0f} ms)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
