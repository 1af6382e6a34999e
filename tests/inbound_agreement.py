"""How often `relance inbound --classify` agrees with the expected results of real bounce
corpora written by others: sisimai's (tests/fixtures/bounces-sisimai, 589 messages) and
MailBounceDetector's (tests/fixtures/bounces-mailbouncedetector). Run it to see the figures
and the disagreements:

    .venv/bin/python -m tests.inbound_agreement [kind|recipient|status|severity|unreadable]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from relance.messaging.inbound import Classification, classify

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = FIXTURES / "bounces-sisimai"
SECOND = FIXTURES / "bounces-mailbouncedetector"
# What sisimai calls these is not a failed delivery.
KIND_OF_REASON = {"vacation": "auto_reply", "feedback": "other", "delivered": "other"}


@dataclass
class Agreement:
    counts: Counter[str] = field(default_factory=Counter)
    disagreements: dict[str, list[tuple[object, ...]]] = field(default_factory=dict)

    def rate(self, what: str, out_of: str) -> float:
        return self.counts[what] / self.counts[out_of]

    def miss(self, what: str, *details: object) -> None:
        self.disagreements.setdefault(what, []).append(details)


@dataclass(frozen=True)
class Expected:
    file: str
    kind: str
    recipient: str
    status: str  # an RFC 3463 code, or "" when there is none to compare
    hard: bool
    status_class: str = ""  # 2, 4 or 5, or "" when nothing says


def sisimai_rows() -> list[Expected]:
    rows = []
    # One object per line; split on newlines only (some strings hold other line breaks).
    for line in (CORPUS / "expected.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        row = json.loads(line)
        expected = row["expected"]
        status = expected["deliverystatus"]
        rows.append(
            Expected(
                file=str(CORPUS / row["file"]),
                kind=KIND_OF_REASON.get(expected["reason"], "bounce"),
                recipient=(row["sisimai_output"].get("recipient") or "").lower(),
                # sisimai's own x.0.9xx codes are not RFC 3463 codes: only real ones count.
                status=status if status and ".0.9" not in status else "",
                hard=bool(expected["hardbounce"]),
                status_class=status[:1],
            )
        )
    return rows


def second_rows() -> list[Expected]:
    rows = []
    for line in (SECOND / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append(
                Expected(
                    str(SECOND / row["file"]),
                    row["kind"],
                    row["recipient"],
                    row["status"],
                    row["hard"],
                    row["status"][:1] or ("5" if row["hard"] else ""),
                )
            )
    return rows


def measure(rows: list[Expected] | None = None, negatives: bool = True) -> Agreement:
    result = Agreement()
    seen: dict[str, Classification] = {}
    for row in sisimai_rows() if rows is None else rows:
        if row.file not in seen:
            seen[row.file] = classify(Path(row.file).read_bytes(), date(2026, 1, 1))
            if "unreadable" in {code for code, _ in seen[row.file].why}:
                result.counts["unreadable"] += 1
                result.miss("unreadable", row.file, seen[row.file].why)
        got = seen[row.file]
        name = Path(row.file).name
        result.counts["rows"] += 1
        if got.kind == row.kind:
            result.counts["kind"] += 1
        else:
            result.miss("kind", name, row.kind, got.kind)
        if row.kind != "bounce":
            continue
        result.counts["bounces"] += 1
        # Relance names the address we sent to (Original-Recipient) and, when another, the
        # final one; sisimai names the final one.
        found = {r.address: r for r in got.recipients}
        found.update({r.final: r for r in got.recipients if r.final})
        if row.recipient not in found:
            result.miss("recipient", name, row.recipient, sorted(found))
            continue
        mine = found[row.recipient]
        result.counts["recipient"] += 1
        if mine.status[:1] == row.status_class:
            result.counts["class"] += 1
        else:
            result.miss("class", name, row.status_class, mine.status)
        if row.status:
            result.counts["rfc_status_rows"] += 1
            if mine.status == row.status:
                result.counts["status"] += 1
            else:
                result.miss("status", name, row.status, mine.status)
        if (mine.severity == "hard") == row.hard:
            result.counts["severity"] += 1
        else:
            result.miss("severity", name, row.hard, mine.status, mine.severity, mine.diagnostic)
    if negatives and rows is None:
        for path in sorted((CORPUS / "not-bounce").glob("*.eml")):
            result.counts["not_bounces"] += 1
            if classify(path.read_bytes(), date(2026, 1, 1)).kind != "bounce":
                result.counts["not_bounce"] += 1
            else:
                result.miss("not_bounce", path.name)
    return result


def report(result: Agreement) -> str:
    c = result.counts
    lines = [
        f"kind (bounce / auto_reply / other): {c['kind']}/{c['rows']} = {result.rate('kind', 'rows'):.1%}",
        f"failed recipient found: {c['recipient']}/{c['bounces']} = {result.rate('recipient', 'bounces'):.1%}",
        f"status class (2/4/5): {c['class']}/{c['recipient']} = {result.rate('class', 'recipient'):.1%}",
        f"exact RFC 3463 status: {c['status']}/{c['rfc_status_rows']} = {result.rate('status', 'rfc_status_rows') if c['rfc_status_rows'] else 0:.1%}",
        f"hard bounce or not: {c['severity']}/{c['recipient']} = {result.rate('severity', 'recipient'):.1%}",
        f"unreadable: {c['unreadable']}",
    ]
    if c["not_bounces"]:
        lines.append(f"not-bounces left alone: {c['not_bounce']}/{c['not_bounces']}")
    return "\n".join(lines)


if __name__ == "__main__":
    for title, measured in (
        ("sisimai (589 messages)", measure()),
        ("MailBounceDetector (6 messages)", measure(second_rows())),
    ):
        print(f"== {title}")
        print(report(measured))
        if len(sys.argv) > 1:
            for item in measured.disagreements.get(sys.argv[1], []):
                print(*item)
