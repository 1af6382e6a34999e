"""Benchmark: the quality of matching (issue 15) — run by hand, never as a test, never in CI.

    .venv/bin/pip install -e '.[bench]'                    # bm25s: the plain BM25 peer
    .venv/bin/python benchmarks/matching.py --data ../shared/data
    .venv/bin/python benchmarks/matching.py --data ../shared/data --queries 40   # a quick check

The evaluation sets (benchmarks/matching_sets.py says where each comes from and under which
licence; the data is read from --data at run time and never copied into the repository):
RJDB (English), ROME-FR (French, generated from ROME) and RJDB offers against French CVs
(cross-language). Each is split into tuning and test by its rows, so no CV is in both; the
figures that count are the test split's (--split tuning to look at the other).

In the same run, for each set, every ranker ranks the split's whole pool of CVs for each
offer:

1. **Plain BM25** (the peer): bm25s (Lucene's BM25, k1 1.5, b 0.75) on the raw text, lower
   case, words of letters and digits, no stemming, no stop words, nothing removed.
2. **Relance's language layer alone**: the same bm25s on `matching.text.stems` of
   `matching.text.without_personal(text)` (French and English stems, stop words and
   protected information removed) — what the text handling brings, without the skills.
3. **Relance**: `relance.matching.rank.rank(organisation, text=offer)` on a throw-away
   database (SQLite in a temporary folder) holding one candidate per CV, each CV stored as
   intake stores one (so the CV hook and the index build run as in the product); skipped,
   and said so, while `matching.rank` does not exist.

Reported per set and ranker: NDCG@10 (graded: 2 the CV made for the offer, 1 its near miss,
0 the others), recall@50 and MRR (of the matched CV), and pairwise accuracy (the matched CV
scores above its near miss; a tie counts one half). Then two perturbations of the test pool:

- **Stuffing**: every near-miss CV gets a "Skills:" line of 50 keywords taken from its offer
  (the offer's most frequent words, then other offers' words to reach 50): how far it climbs
  (its median rank before and after), how often it now beats the matched CV (pairwise
  accuracy after), and for Relance the mean change of its 0–100 score.
- **Two columns interleaved**: every matched CV's lines are read as a naive PDF extraction
  reads a two-column page: line i of the first half then line i of the second half, on one
  line. The matched CV's rank and score before and after.

A Markdown table for benchmarks/RESULTS.md goes to stdout, progress to stderr, the figures as
JSON to benchmarks/results/matching-<split>.json.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import matching_sets  # noqa: E402
from matching_sets import EvalSet, Query  # noqa: E402

# --- metrics --------------------------------------------------------------------------------


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """NDCG@k with graded relevance: gain 2^grade - 1, discount log2(position + 1)."""
    dcg = sum((2 ** grades.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def recall_at(ranked: Sequence[str], relevant: set[str], k: int = 50) -> float:
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    return next((1.0 / (i + 1) for i, d in enumerate(ranked) if d in relevant), 0.0)


def pairwise(better: float, worse: float) -> float:
    """1 when the matched CV scores above its near miss, 0.5 for a tie, else 0."""
    return 1.0 if better > worse else 0.5 if better == worse else 0.0


def ranked_ids(scores: dict[str, float]) -> list[str]:
    """Score descending, then id: a stable order."""
    return sorted(scores, key=lambda d: (-scores[d], d))


def _check_metrics() -> None:
    """The metrics checked on cases worked out by hand, at every run."""
    grades = {"a": 2, "b": 1}
    assert ndcg_at(["a", "b", "c"], grades) == 1.0
    assert ndcg_at(["c", "d"], grades) == 0.0
    # b then a: (1/log2 2 + 3/log2 3) / (3/log2 2 + 1/log2 3)
    expected = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert abs(ndcg_at(["b", "a"], grades) - expected) < 1e-12
    assert ndcg_at(["x"] * 10 + ["a"], grades) == 0.0  # beyond the cut-off
    assert recall_at(["x", "a"], {"a"}, 50) == 1.0
    assert recall_at(["x"] * 50 + ["a"], {"a"}, 50) == 0.0
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == 1 / 3
    assert reciprocal_rank(["x"], {"a"}) == 0.0
    assert (pairwise(2, 1), pairwise(1, 1), pairwise(0, 1)) == (1.0, 0.5, 0.0)
    assert ranked_ids({"b": 1.0, "a": 1.0, "c": 2.0}) == ["c", "a", "b"]


# --- rankers --------------------------------------------------------------------------------


class Ranker:
    name = ""
    scale = ""  # "0-100" when scores are Relance's, else raw

    def fit(self, cvs: dict[str, str]) -> None:
        raise NotImplementedError

    def scores(self, offer: str) -> dict[str, float]:
        """Every CV of the pool scored for this offer (0 when not found)."""
        raise NotImplementedError


class _BM25(Ranker):
    def tokens(self, text: str) -> list[str]:
        raise NotImplementedError

    def fit(self, cvs: dict[str, str]) -> None:
        import bm25s

        self.ids = list(cvs)
        self.index = bm25s.BM25(k1=1.5, b=0.75)
        self.index.index([self.tokens(cvs[d]) or ["\x00"] for d in self.ids], show_progress=False)

    def scores(self, offer: str) -> dict[str, float]:
        values = self.index.get_scores(self.tokens(offer))
        return {d: float(v) for d, v in zip(self.ids, values, strict=True)}


class PlainBM25(_BM25):
    name = "Plain BM25 (bm25s, raw text)"

    def tokens(self, text: str) -> list[str]:
        return re.findall(r"[^\W_]+", text.lower())


class StemmedBM25(_BM25):
    """The placeholder for Relance until matching.rank lands: its language layer only."""

    name = "Relance text.stems + BM25 (language layer only)"

    def tokens(self, text: str) -> list[str]:
        from relance.matching import text as words

        return words.stems(words.without_personal(text))


class RelanceRank(Ranker):
    """`matching.rank.rank` on a throw-away database: one organisation per pool."""

    name = "Relance (matching.rank)"
    scale = "0-100"
    pools = 0

    def fit(self, cvs: dict[str, str]) -> None:
        from django.db import transaction

        from relance.intake import cvs as reading
        from relance.intake import documents
        from relance.people.models import Candidate, Organisation

        RelanceRank.pools += 1
        org = Organisation.objects.create(name=f"Pool {self.pools}", slug=f"pool-{self.pools}")
        self.organisation = org
        self.by_candidate: dict[int, str] = {}
        now = _now()
        with transaction.atomic():
            for n, (cv_id, text) in enumerate(cvs.items()):
                person = Candidate.objects.create(
                    organisation=org, first_name="Candidate", last_name=str(n),
                    email=f"c{n}@pool{self.pools}.example", created_at=now,
                )  # fmt: skip
                data = text.encode("utf-8")
                received = documents.Received(data, "cv.txt", reading.read(data, reading.TXT))
                with documents.stored(received, org.pk) as name:
                    documents.record(person, received, name, None, now)
                self.by_candidate[person.pk] = cv_id
        from relance.matching import index

        index.rebuild(org.pk)

    def scores(self, offer: str) -> dict[str, float]:
        from relance.matching import rank

        out = dict.fromkeys(self.by_candidate.values(), 0.0)
        for match in rank.rank(self.organisation, text=offer, limit=len(self.by_candidate)):
            candidate = getattr(match, "candidate_id", None) or match.candidate
            candidate = getattr(candidate, "pk", candidate)
            value = getattr(match.score, "value", match.score)
            out[self.by_candidate[candidate]] = float(value)
        return out


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 12, 1, 9, tzinfo=UTC)


def rankers(which: str) -> list[Ranker]:
    """The peer, Relance's language layer alone, and matching.rank when it exists (`which`:
    "all", or "plain,stems,rank" in any subset)."""
    import importlib.util

    wanted = {"plain", "stems", "rank"} if which == "all" else set(which.split(","))
    out: list[Ranker] = []
    if "plain" in wanted:
        out.append(PlainBM25())
    if "stems" in wanted:
        out.append(StemmedBM25())
    if "rank" in wanted and importlib.util.find_spec("relance.matching.rank") is not None:
        _django()
        out.append(RelanceRank())
    elif "rank" in wanted:
        print(
            "matching.rank does not exist yet: Relance's ranking is not measured", file=sys.stderr
        )
    return out


def _django() -> None:
    work = Path(tempfile.mkdtemp(prefix="relance-matching-bench-"))
    atexit.register(shutil.rmtree, work, True)  # the throw-away database and its files
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["RELANCE_DATA_DIR"] = str(work)
    os.environ.setdefault("RELANCE_SECRET_KEY", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "relance.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- perturbations --------------------------------------------------------------------------

_STOP = re.compile(r"^(?:the|and|for|with|our|you|will|are|des|les|une|pour|dans|avec|sur)$")


def stuffed(cv: str, offer: str, filler: Sequence[str], n: int = 50) -> str:
    """The CV with a skills line of `n` keywords: its offer's most frequent words first."""
    words = [w for w in re.findall(r"[^\W\d_]{3,}", offer.lower()) if not _STOP.match(w)]
    keywords = [w for w, _c in Counter(words).most_common(n)]
    for word in filler:
        if len(keywords) >= n:
            break
        if word not in keywords:
            keywords.append(word)
    return f"{cv}\nSkills: {', '.join(keywords[:n])}"


def interleaved(cv: str) -> str:
    """Two columns read across: line i of the first half, then line i of the second half."""
    lines = [line for line in cv.splitlines() if line.strip()]
    half = (len(lines) + 1) // 2
    left, right = lines[:half], lines[half:]
    return "\n".join(f"{a}   {right[i]}" if i < len(right) else a for i, a in enumerate(left))


# --- the run --------------------------------------------------------------------------------


@dataclass
class Figures:
    ndcg10: float
    recall50: float
    mrr: float
    pairwise: float


def evaluate(ranker: Ranker, dataset: EvalSet, queries: list[Query]) -> tuple[Figures, dict]:  # type: ignore[type-arg]
    ranker.fit(dataset.cvs)
    ndcg, recall, mrr, pair = [], [], [], []
    kept: dict[str, dict[str, float]] = {}
    for q in queries:
        scores = ranker.scores(q.text)
        order = ranked_ids(scores)
        ndcg.append(ndcg_at(order, q.grades))
        recall.append(recall_at(order, {q.matched}))
        mrr.append(reciprocal_rank(order, {q.matched}))
        pair.append(pairwise(scores[q.matched], scores[q.near]))
        kept[q.id] = scores
    n = max(1, len(queries))
    return Figures(sum(ndcg) / n, sum(recall) / n, sum(mrr) / n, sum(pair) / n), kept


def _rank_of(scores: dict[str, float], cv: str) -> int:
    return ranked_ids(scores).index(cv) + 1


def perturbations(ranker: Ranker, dataset: EvalSet, queries: list[Query],
                  before: dict[str, dict[str, float]]) -> dict[str, Any]:  # fmt: skip
    filler = sorted(
        {w for q in dataset.queries for w in re.findall(r"[^\W\d_]{4,}", q.text.lower())}
    )
    out: dict[str, Any] = {}

    # Stuffing: every near miss stuffed at once, one pool.
    offers = {q.near: q.text for q in dataset.queries}
    pool = {d: stuffed(t, offers[d], filler) if d in offers else t for d, t in dataset.cvs.items()}
    ranker.fit(pool)
    ranks_before, ranks_after, pair, delta = [], [], [], []
    for q in queries:
        after = ranker.scores(q.text)
        ranks_before.append(_rank_of(before[q.id], q.near))
        ranks_after.append(_rank_of(after, q.near))
        pair.append(pairwise(after[q.matched], after[q.near]))
        delta.append(after[q.near] - before[q.id][q.near])
    out["stuffing"] = {
        "near_miss_median_rank_before": statistics.median(ranks_before),
        "near_miss_median_rank_after": statistics.median(ranks_after),
        "pairwise_after": sum(pair) / len(pair),
        "mean_score_change": statistics.fmean(delta) if ranker.scale else None,
    }

    # Interleaving: every matched CV read across its two columns.
    matched = {q.matched for q in dataset.queries}
    pool = {d: interleaved(t) if d in matched else t for d, t in dataset.cvs.items()}
    ranker.fit(pool)
    ranks_before, ranks_after, delta = [], [], []
    for q in queries:
        after = ranker.scores(q.text)
        ranks_before.append(_rank_of(before[q.id], q.matched))
        ranks_after.append(_rank_of(after, q.matched))
        delta.append(after[q.matched] - before[q.id][q.matched])
    out["interleaving"] = {
        "matched_mean_rank_before": statistics.fmean(ranks_before),
        "matched_mean_rank_after": statistics.fmean(ranks_after),
        "mean_score_change": statistics.fmean(delta) if ranker.scale else None,
        "mean_abs_score_change": statistics.fmean(abs(x) for x in delta) if ranker.scale else None,
    }
    return out


def run(data: Path, split: str, limit: int | None, sets: Sequence[str],
        which: str = "all") -> dict[str, Any]:  # fmt: skip
    builders: dict[str, Callable[[Path, str], EvalSet]] = {
        "rjdb": matching_sets.rjdb, "rome": matching_sets.rome_fr, "cross": matching_sets.cross,
    }  # fmt: skip
    chosen = rankers(which)
    results: dict[str, Any] = {"split": split, "sets": {}}
    for key in sets:
        dataset = builders[key](data, split)
        queries = dataset.queries[:limit] if limit else dataset.queries
        entry: dict[str, Any] = {"name": dataset.name, "cvs": len(dataset.cvs),
                                 "queries": len(queries), "note": dataset.note, "rankers": {}}  # fmt: skip
        for ranker in chosen:
            started = time.perf_counter()
            figures, before = evaluate(ranker, dataset, queries)
            extra = perturbations(ranker, dataset, queries, before)
            seconds = time.perf_counter() - started
            print(f"{dataset.name:32} {ranker.name[:40]:40} NDCG@10 {figures.ndcg10:.3f} "
                  f"recall@50 {figures.recall50:.3f} MRR {figures.mrr:.3f} "
                  f"pairwise {figures.pairwise:.3f} ({seconds:.1f} s)", file=sys.stderr)  # fmt: skip
            entry["rankers"][ranker.name] = {**figures.__dict__, **extra, "seconds": seconds}
        results["sets"][key] = entry
    return results


def markdown(r: dict[str, Any]) -> str:
    out = [f"Split: **{r['split']}**.", "",
           "| Set (CVs, offers) | Ranker | NDCG@10 | recall@50 | MRR | pairwise |",
           "| --- | --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for entry in r["sets"].values():
        for name, f in entry["rankers"].items():
            out.append(f"| {entry['name']} ({entry['cvs']}, {entry['queries']}) | {name} | "
                       f"{f['ndcg10']:.3f} | {f['recall50']:.3f} | {f['mrr']:.3f} | "
                       f"{f['pairwise']:.3f} |")  # fmt: skip
    out += ["", "| Set | Ranker | Stuffing: near miss median rank before → after | pairwise "
            "after | score change | Interleaved: matched mean rank before → after | score change |",
            "| --- | --- | --- | ---: | ---: | --- | ---: |"]  # fmt: skip
    for entry in r["sets"].values():
        for name, f in entry["rankers"].items():
            s, i = f["stuffing"], f["interleaving"]
            sc = "n/a" if s["mean_score_change"] is None else f"{s['mean_score_change']:+.1f}"
            ic = "n/a" if i["mean_score_change"] is None else f"{i['mean_score_change']:+.1f}"
            out.append(f"| {entry['name']} | {name} | {s['near_miss_median_rank_before']:g} → "
                       f"{s['near_miss_median_rank_after']:g} | {s['pairwise_after']:.3f} | {sc} | "
                       f"{i['matched_mean_rank_before']:.2f} → {i['matched_mean_rank_after']:.2f} "
                       f"| {ic} |")  # fmt: skip
    notes = [f"- {e['name']}: {e['note']}" for e in r["sets"].values() if e["note"]]
    return "\n".join(out + (["", *notes] if notes else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="the folder holding matching/, rome/ and esco/ (../shared/data)")  # fmt: skip
    parser.add_argument("--split", choices=matching_sets.SPLITS, default="test")
    parser.add_argument("--queries", type=int, default=None, help="at most this many per set")
    parser.add_argument("--sets", default="rjdb,rome,cross", help="rjdb, rome, cross")
    parser.add_argument("--rankers", default="all", help="all, or some of plain,stems,rank")
    args = parser.parse_args()
    _check_metrics()
    started = time.perf_counter()
    results = run(args.data, args.split, args.queries, args.sets.split(","), args.rankers)
    results["seconds"] = time.perf_counter() - started
    results["machine"] = (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(markdown(results))
    folder = ROOT / "benchmarks" / "results"
    folder.mkdir(exist_ok=True)
    name = f"matching-{args.split}{'-' + str(args.queries) if args.queries else ''}.json"
    (folder / name).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
