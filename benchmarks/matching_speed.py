"""Benchmark: matching at scale (issue 15) — run by hand, never as a test.

    .venv/bin/python benchmarks/matching_speed.py --cvs 10000          # a check (a minute)
    .venv/bin/python benchmarks/matching_speed.py --cvs 1000000        # the issue's size

Targets (issue 15): the index built at 5,000 CVs a second or more; ranking the top 100 with
their scores under 100 ms at p95; the explanations of the top 20 under 50 ms more.

On a throw-away SQLite database in a temporary folder (its index under the same folder), in
the same run:

1. **CVs generated**: --cvs CVs of about 400 words each, in French or English (one in two),
   from the shipped vocabulary (`matching.vocabulary`: job titles, tech terms and ESCO
   skills in their French and English names) set in CV sentences and lines (a title, a
   summary, two jobs with experience bullets, a skills line, languages, education) with a
   name, an e-mail, a phone and a town (so that the protected information is removed as in
   the product). Seeded: the same CVs every run. Stored with `bulk_create` (candidates and
   CV rows with their text; no file: the index and the score read the text).
2. **Profiles** (`matching.profiles.read`, what the CV hook computes when a CV is stored):
   timed, as CVs a second, and stored with `bulk_create`.
3. **The index** (`matching.index.rebuild`, what `relance match --rebuild` does): from the
   database to the memory-mapped segment on disk, timed as CVs a second; its size on disk
   (what the page cache holds, shared by every process).
4. **Ranking**: --queries offers generated from the same vocabulary (a title, six to ten
   skills in sentences), each ranked with `matching.rank.rank(organisation, text=offer,
   limit=100)` (index search, the pool of candidates scored from their profiles, the
   order); p50/p95/max in milliseconds, after one warm-up query.
5. **Explanations** of the top 20 of each ranking: the reason sentence
   (`score.reason_text`) and the names of the requirements found (with their CV lines) and
   missing, in the recruiter's language; p50/p95.
6. **The naive way**, the peer: every CV scored in Python for each offer (BM25 over
   per-CV word counts held in Python dicts, the same stems), then sorted; on --naive-cvs
   CVs at most (its memory grows with the bank) and scaled linearly to --cvs (its work is
   linear in the bank: it reads every CV), as a ratio to Relance's ranking.

Without `matching.rank` (before it landed), steps 4 and 5 time `matching.index.search`
(the top 100 by BM25) alone, and say so.

A Markdown table for benchmarks/RESULTS.md goes to stdout, progress to stderr, the figures
as JSON to benchmarks/results/matching-speed-N.json.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
FIRST = ["Marie", "Jean", "Léa", "Hugo", "Chloé", "Louis", "Inès", "Gabriel", "Emma", "Noah",
         "Olivia", "James", "Sofia", "Lucas", "Amira", "Yanis"]  # fmt: skip
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Smith", "Johnson", "Garcia", "Nguyen", "Haddad", "Moreau", "Fontaine", "Lambert"]  # fmt: skip
CITIES = ["Paris", "Lyon", "Nantes", "Lille", "Bordeaux", "Toulouse", "London", "Bruxelles"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Alcéa", "Corélis"]
FR = {
    "summary": "Profil", "experience": "Expérience professionnelle", "skills": "Compétences",
    "languages": "Langues : français, anglais courant", "education": "Formation",
    "at": "chez", "degree": ["Master informatique", "Licence professionnelle", "BTS",
                             "Diplôme d'ingénieur", "DUT"],
    "verbs": ["Développé", "Conçu", "Mis en place", "Piloté", "Amélioré", "Maintenu",
              "Automatisé", "Déployé", "Encadré", "Analysé"],
    "filler": ["équipe", "projet", "client", "besoins", "livraison", "qualité", "suivi", "mise", "en", "production", "amélioration", "continue", "documentation", "utilisateurs", "performance", "fiabilité", "sécurité", "architecture", "conception", "analyse", "tests", "recette", "déploiement", "maintenance", "évolution", "coordination", "partenaires", "fournisseurs", "budget", "planning", "reporting", "indicateurs", "processus", "organisation", "accompagnement", "formation", "animation", "réunions", "ateliers", "méthodes", "outils", "données", "plateforme", "application", "service", "gestion", "relation", "autonomie", "rigueur", "adaptabilité", "esprit", "d'équipe", "sens", "du", "résultat"],
}  # fmt: skip
EN = {
    "summary": "Summary", "experience": "Experience", "skills": "Skills",
    "languages": "Languages: English, French (fluent)", "education": "Education",
    "at": "at", "degree": ["MSc Computer Science", "BSc", "Bachelor's degree", "MBA",
                           "Engineering degree"],
    "verbs": ["Developed", "Designed", "Implemented", "Led", "Improved", "Maintained",
              "Automated", "Deployed", "Managed", "Analysed"],
    "filler": ["team", "project", "client", "requirements", "delivery", "quality", "follow-up", "production", "continuous", "improvement", "documentation", "users", "performance", "reliability", "security", "architecture", "design", "analysis", "testing", "acceptance", "deployment", "maintenance", "roadmap", "coordination", "partners", "vendors", "budget", "planning", "reporting", "metrics", "processes", "organisation", "support", "training", "workshops", "meetings", "methods", "tools", "data", "platform", "application", "service", "management", "stakeholders", "ownership", "autonomy", "rigour", "adaptability", "teamwork", "results"],
}  # fmt: skip


class Words:
    """The vocabulary's names, by kind, as the generator draws them."""

    def __init__(self, rng: random.Random) -> None:
        from relance.matching import vocabulary

        concepts = sorted(vocabulary.load().concepts.values(), key=lambda c: c.id)
        self.titles = [c for c in concepts if c.kind == "title"]
        self.tech = [c for c in concepts if c.kind == "skill" and c.id.startswith("tech:")]
        self.skills = [c for c in concepts if c.kind == "skill" and not c.id.startswith("tech:")]
        # Realistic banks are skewed: a few skills are everywhere, most are rare.
        self.rng = rng

    def pick(self, pool: list[Any], n: int) -> list[Any]:
        # Zipf-like: index = floor(len * u^3) draws the head far more often than the tail.
        return [pool[int(len(pool) * self.rng.random() ** 3)] for _ in range(n)]


def cv_text(words: Words, rng: random.Random, n: int) -> tuple[str, str, str]:
    """(first name, last name, text) of the n-th CV: about 400 words."""
    lang, t = ("fr", FR) if n % 2 else ("en", EN)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    title = words.pick(words.titles, 1)[0].name(lang)
    tech = words.pick(words.tech, 8)
    other = words.pick(words.skills, 6)
    lines = [
        f"{first} {last}",
        title,
        f"{first.lower()}.{last.lower()}{n}@example.org · +33 6 {n % 100:02d} {n // 100 % 100:02d} 12 34 · {rng.choice(CITIES)}",
        t["summary"],
        " ".join(rng.choices(t["filler"], k=40)),
        t["experience"],
    ]
    year = 2024
    for job in range(2):
        start = year - rng.randint(2, 6)
        lines.append(f"{start} – {year} : {title} {t['at']} {rng.choice(COMPANIES)}")
        for skill in tech[job * 4 : job * 4 + 4] + other[job * 3 : job * 3 + 3]:
            filler = " ".join(rng.choices(t["filler"], k=12))
            lines.append(f"- {rng.choice(t['verbs'])} {skill.name(lang)} : {filler}")
        year = start
    names = [c.name(lang) for c in tech + other]
    lines += [f"{t['skills']} : {', '.join(names)}", t["languages"], t["education"],
              f"{rng.choice(t['degree'])} ({year - 2})", " ".join(rng.choices(t["filler"], k=60))]  # fmt: skip
    return first, last, "\n".join(lines)


def offer_text(words: Words, rng: random.Random, n: int) -> str:
    lang, t = ("fr", FR) if n % 2 else ("en", EN)
    title = words.pick(words.titles, 1)[0].name(lang)
    skills = words.pick(words.tech, rng.randint(4, 6)) + words.pick(words.skills, 3)
    lines = [title, " ".join(rng.choices(t["filler"], k=30)), t["skills"] + " :"]
    lines += [f"- {s.name(lang)} ({' '.join(rng.choices(t['filler'], k=6))})" for s in skills]
    lines.append(
        f"{rng.randint(2, 8)} {'ans d’expérience' if lang == 'fr' else 'years of experience'}"
    )
    return "\n".join(lines)


class Progress:
    def __init__(self, label: str) -> None:
        self.label, self.last = label, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last > 2 or done == total:
            self.last = now
            print(f"  {self.label}: {done:,}/{total:,}", file=sys.stderr)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


def naive_rank(
    docs: list[tuple[int, Counter[str], int]], query: list[str], limit: int
) -> list[tuple[int, float]]:
    """Every CV scored in Python (BM25, k1 1.2, b 0.75), then sorted."""
    n = len(docs)
    average = sum(length for _, _, length in docs) / n
    terms = sorted(set(query))
    frequency = {w: sum(1 for _, counts, _ in docs if w in counts) for w in terms}
    idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in frequency.items() if f}
    scored = []
    for candidate, counts, length in docs:
        total = 0.0
        for w, weight in idf.items():
            tf = counts.get(w)
            if tf:
                total += weight * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))
        if total > 0:
            scored.append((candidate, total))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]


def bench(cvs: int, queries: int, naive_cvs: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, transaction

    from relance.intake.models import CV
    from relance.matching import index, profiles
    from relance.matching.models import Profile
    from relance.people.models import Candidate, Organisation

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:  # a throw-away file: no need to wait for the disk
        cursor.execute("PRAGMA synchronous = OFF")
    has_rank = importlib.util.find_spec("relance.matching.rank") is not None
    out: dict[str, Any] = {"cvs": cvs, "queries": queries, "rank": has_rank}
    org = Organisation.objects.create(name="Bench", slug="bench")
    rng = random.Random(15)
    words = Words(rng)

    # 1. CVs generated and stored.
    started = time.perf_counter()
    generated = 0
    texts_kept: list[tuple[int, str, str, str]] = []  # for the profiles and the naive peer
    batch = 5000
    progress = Progress("CVs stored")
    while generated < cvs:
        n = min(batch, cvs - generated)
        made = [cv_text(words, rng, generated + i) for i in range(n)]
        with transaction.atomic():
            people = Candidate.objects.bulk_create(
                [
                    Candidate(
                        organisation=org,
                        first_name=f,
                        last_name=last,
                        email=f"c{generated + i}@bench.example",
                        created_at=NOW,
                    )
                    for i, (f, last, _t) in enumerate(made)
                ]
            )
            rows = []
            for person, (_f, _l, text) in zip(people, made, strict=True):
                data = text.encode("utf-8")
                cv = CV(organisation_id=org.pk, candidate_id=person.pk, original_name="cv.txt",
                        kind="txt", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        text=text, uploaded_at=NOW)  # fmt: skip
                cv.file.name = f"cvs/{org.pk}/bench-{person.pk}.txt"
                rows.append(cv)
            CV.objects.bulk_create(rows)
        texts_kept += [
            (cv.pk, f, last, text) for cv, (f, last, text) in zip(rows, made, strict=True)
        ]
        generated += n
        progress(generated, cvs)
    out["store_seconds"] = time.perf_counter() - started
    out["words_per_cv"] = statistics.fmean(len(t.split()) for *_x, t in texts_kept[:1000])

    # 2. Profiles, as the CV hook computes them.
    started = time.perf_counter()
    made_profiles = []
    progress = Progress("profiles")
    for i, (cv_id, first, last, text) in enumerate(texts_kept):
        found = profiles.read(text, [first, last], NOW.year)
        made_profiles.append(Profile(cv_id=cv_id, skills=found.skills, titles=found.titles,
                                     years=found.years))  # fmt: skip
        if len(made_profiles) >= batch:
            Profile.objects.bulk_create(made_profiles)
            made_profiles = []
        progress(i + 1, len(texts_kept))
    Profile.objects.bulk_create(made_profiles)
    seconds = time.perf_counter() - started
    out["profiles"] = {"seconds": seconds, "per_second": cvs / seconds}

    # 3. The index.
    started = time.perf_counter()
    index.rebuild(org.pk, progress=Progress("index"))
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in index.folder(org.pk).rglob("*.npy"))
    out["index"] = {"seconds": seconds, "per_second": cvs / seconds, "bytes": size,
                    "bytes_per_cv": size / cvs}  # fmt: skip

    # 4 and 5. Ranking and explanations.
    offers = [offer_text(words, random.Random(1000 + q), q) for q in range(queries + 1)]
    ranking_ms, explain_ms = [], []
    if has_rank:
        from relance.matching import rank, score, vocabulary

        for q, offer in enumerate(offers):
            language = "fr" if q % 2 else "en"
            started = time.perf_counter()
            matches = rank.rank(org, text=offer, limit=100)
            ranked = time.perf_counter()
            for match in matches[:20]:
                result = match.score
                score.reason_text(result, language)
                [(vocabulary.name(c, language), line) for c, line in result.matched]
                [vocabulary.name(c, language) for c in result.missing]
            explained = time.perf_counter()
            if q:  # the first query warms the caches (vocabulary, recogniser, mapped pages)
                ranking_ms.append((ranked - started) * 1000)
                explain_ms.append((explained - ranked) * 1000)
        out["ranking_ms"] = percentiles(ranking_ms)
        out["explanations_ms"] = percentiles(explain_ms)
        out["ranked_by"] = "matching.rank.rank(organisation, text=offer, limit=100)"
    else:
        from relance.matching import text as words_of

        for q, offer in enumerate(offers):
            started = time.perf_counter()
            index.search(org.pk, words_of.stems(offer), 100)
            if q:
                ranking_ms.append((time.perf_counter() - started) * 1000)
        out["ranking_ms"] = percentiles(ranking_ms)
        out["ranked_by"] = "matching.index.search only (matching.rank not there yet)"

    # 6. The naive peer on at most naive_cvs CVs, scaled.
    sample = texts_kept[:naive_cvs]
    started = time.perf_counter()
    docs = []
    for cv_id, first, last, text in sample:
        stems = index.document(text, [first, last])
        docs.append((cv_id, Counter(stems), len(stems)))
    prepare = time.perf_counter() - started
    from relance.matching import text as words_of

    naive_ms = []
    for offer in offers[1 : min(len(offers), 11)]:
        started = time.perf_counter()
        naive_rank(docs, words_of.stems(offer), 100)
        naive_ms.append((time.perf_counter() - started) * 1000)
    scale = cvs / len(sample)
    out["naive"] = {
        "cvs_measured": len(sample),
        "scaled_to": cvs,
        "prepare_seconds_measured": prepare,
        "ranking_ms_measured": percentiles(naive_ms),
        "ranking_ms_scaled_p50": statistics.median(naive_ms) * scale,
    }
    out["ratio_p50"] = out["naive"]["ranking_ms_scaled_p50"] / out["ranking_ms"]["p50"]
    return out


def markdown(r: dict[str, Any]) -> str:
    rows = [
        f"{r['cvs']:,} generated CVs (about {r['words_per_cv']:.0f} words), {r['queries']} offers; "
        f"ranked by {r['ranked_by']}.",
        "",
        "| step | figure | target |",
        "| --- | ---: | --- |",
        f"| CVs stored (bulk, not a target) | {r['store_seconds']:.1f} s | |",
        f"| profiles (the CV hook) | {r['profiles']['per_second']:,.0f} CVs/s | |",
        f"| index build (`index.rebuild`) | {r['index']['per_second']:,.0f} CVs/s "
        f"({r['index']['seconds']:.1f} s) | ≥ 5,000 CVs/s |",
        f"| index on disk (memory-mapped) | {r['index']['bytes'] / 1e6:,.1f} MB "
        f"({r['index']['bytes_per_cv']:,.0f} B/CV) | |",
        f"| ranking, top 100 with scores | p50 {r['ranking_ms']['p50']:.1f} ms, "
        f"p95 {r['ranking_ms']['p95']:.1f} ms, max {r['ranking_ms']['max']:.1f} ms | p95 < 100 ms |",
    ]
    if "explanations_ms" in r:
        e = r["explanations_ms"]
        rows.append(f"| explanations of the top 20 | p50 {e['p50']:.2f} ms, p95 {e['p95']:.2f} ms "
                    "| p95 < 50 ms |")  # fmt: skip
    n = r["naive"]
    rows.append(
        f"| naive: every CV scored in Python | p50 {n['ranking_ms_measured']['p50']:.0f} ms on "
        f"{n['cvs_measured']:,} CVs, so about {n['ranking_ms_scaled_p50']:,.0f} ms at "
        f"{n['scaled_to']:,} | {r['ratio_p50']:,.2g}× Relance's p50 |"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cvs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--naive-cvs", type=int, default=50_000,
                        help="CVs the naive peer scores (then scaled to --cvs)")  # fmt: skip
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="relance-matching-speed-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["RELANCE_DATA_DIR"] = str(work)
    os.environ.setdefault("RELANCE_SECRET_KEY", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "relance.settings"
    import django

    django.setup()
    started = time.perf_counter()
    results = bench(args.cvs, args.queries, args.naive_cvs)
    results["seconds"] = time.perf_counter() - started
    results["machine"] = f"{platform.python_version()}, {os.cpu_count()} CPUs"
    print(markdown(results))
    folder = ROOT / "benchmarks" / "results"
    folder.mkdir(exist_ok=True)
    (folder / f"matching-speed-{args.cvs}.json").write_text(json.dumps(results, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
