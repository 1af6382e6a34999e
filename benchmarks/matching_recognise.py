"""Skills and titles recognised in CVs (issue 15, item 1): how fast, against the naive way.

    .venv/bin/python benchmarks/matching_recognise.py [--cvs ../shared/data/matching/rjdb_test.jsonl] [--limit 1000]

Run by hand, never as a test. Measures, in one process:

- the vocabulary's load (vocabulary.load: reading the json.gz) and the recogniser's
  dictionary (recognise._index), each in a fresh process, median of 3;
- recognise.mentions on real CVs (the RJDB test split's resumes, read from ../shared at run
  time, never copied; CC BY-SA 4.0), per CV and per 400 words, median and p95;
- the naive way on the same CVs: every label of the vocabulary looked for in the folded CV
  (`" label " in " text "`, one test per label: what a loop over a skills list does).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from relance.matching import recognise, text, vocabulary  # noqa: E402

SAMPLE = """Développeuse Java senior — 8 ans d'expérience
Compétences : Java, Spring, Kafka, Docker, Kubernetes, PostgreSQL, Git, Jenkins
2019 - 2024 : Ingénieure logiciel chez Thales
- Développé des microservices Spring Boot pour la gestion des commandes
- Mise en place de l'intégration continue avec GitLab CI et déploiement sur Kubernetes
Senior backend engineer with a strong record of building reliable distributed systems.
- Designed and operated event-driven services in Kotlin and Java on AWS, with Terraform
"""


def cvs(path: Path, limit: int) -> list[str]:
    if not path.exists():
        print(f"{path} not found: the built-in sample CV, repeated", file=sys.stderr)
        return [SAMPLE * 5] * min(limit, 200)
    found: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            found += [row["Resume-matched"], row["Resume-unmatched"]]
            if len(found) >= limit:
                break
    return found[:limit]


def fresh_process(code: str) -> float:
    runs = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        runs.append(float(done.stdout.strip()))
    return statistics.median(runs)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cvs", type=Path, default=ROOT.parent / "shared" / "data" / "matching" / "rjdb_test.jsonl"
    )
    parser.add_argument("--limit", type=int, default=1000)
    options = parser.parse_args()

    timer = "import time; from relance.matching import vocabulary, recognise; "
    load = fresh_process(
        timer + "t = time.perf_counter(); vocabulary.load(); print(time.perf_counter() - t)"
    )
    index = fresh_process(
        timer + "vocabulary.load(); t = time.perf_counter(); recognise._index(); "
        "print(time.perf_counter() - t)"
    )
    size = vocabulary.FILE.stat().st_size
    loaded = vocabulary.load()
    labels = sorted({label for c in loaded.concepts.values() for label in c.labels})
    print(f"vocabulary: {len(loaded.concepts):,} concepts, {len(labels):,} labels, {size:,} bytes")
    print(f"load (fresh process, median of 3): {load * 1000:.0f} ms")
    print(f"recogniser's dictionary (fresh process, median of 3): {index * 1000:.0f} ms")

    documents = cvs(options.cvs, options.limit)
    words = [len(document.split()) for document in documents]
    recognise.mentions(documents[0])  # the dictionary built before timing
    ours: list[float] = []
    found = 0
    for document in documents:
        start = time.perf_counter()
        found += len(recognise.mentions(document))
        ours.append(time.perf_counter() - start)
    per_400 = [t * 400 / max(w, 1) for t, w in zip(ours, words, strict=True)]
    print(
        f"recognise.mentions on {len(documents)} CVs ({statistics.mean(words):.0f} words on "
        f"average): median {statistics.median(ours) * 1000:.3f} ms, p95 "
        f"{percentile(ours, 0.95) * 1000:.3f} ms a CV; {statistics.median(per_400) * 1000:.3f} ms "
        f"per 400 words; {found / len(documents):.1f} mentions a CV"
    )

    naive: list[float] = []
    sample = documents[: max(1, min(len(documents), 50))]
    for document in sample:
        start = time.perf_counter()
        folded = f" {text.fold(document)} "
        sum(1 for label in labels if f" {label} " in folded)
        naive.append(time.perf_counter() - start)
    ratio = statistics.median(naive) / statistics.median(ours[: len(sample)])
    print(
        f"naive (each of {len(labels):,} labels looked for in the folded CV) on {len(sample)} "
        f"CVs: median {statistics.median(naive) * 1000:.1f} ms a CV — {ratio:.0f}× slower"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
