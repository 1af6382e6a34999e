"""How often `relance inbound --classify` agrees with the expected results of the sisimai
corpus (tests/fixtures/bounces-sisimai). Run it to see the figures and the disagreements:

    .venv/bin/python -m tests.inbound_agreement [kind|recipient|status|severity]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from relance.messaging.inbound import classify

CORPUS = Path(__file__).resolve().parent / "fixtures" / "bounces-sisimai"
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


def measure() -> Agreement:
    result = Agreement()
    seen: dict[str, object] = {}
    # One object per line; split on newlines only (some strings hold other line breaks).
    for line in (CORPUS / "expected.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        row = json.loads(line)
        name = row["file"]
        if name not in seen:
            seen[name] = classify((CORPUS / name).read_bytes(), date(2026, 1, 1))
        got = seen[name]
        expected = row["expected"]
        want = KIND_OF_REASON.get(expected["reason"], "bounce")
        result.counts["rows"] += 1
        if got.kind == want:  # type: ignore[attr-defined]
            result.counts["kind"] += 1
        else:
            result.miss("kind", name, want, got.kind)  # type: ignore[attr-defined]
        if want != "bounce":
            continue
        result.counts["bounces"] += 1
        address = (row["sisimai_output"].get("recipient") or "").lower()
        found = {r.address: r for r in got.recipients}  # type: ignore[attr-defined]
        if address not in found:
            result.miss("recipient", name, address, sorted(found))
            continue
        mine, status = found[address], expected["deliverystatus"]
        result.counts["recipient"] += 1
        if mine.status[:1] == status[:1]:
            result.counts["class"] += 1
        # sisimai's own x.0.9xx codes are not RFC 3463 codes: only real ones are compared.
        if status and ".0.9" not in status:
            result.counts["rfc_status_rows"] += 1
            if mine.status == status:
                result.counts["status"] += 1
            else:
                result.miss("status", name, status, mine.status, expected["reason"])
        if (mine.severity == "hard") == bool(expected["hardbounce"]):
            result.counts["severity"] += 1
        else:
            result.miss("severity", name, expected["reason"], status, mine.status, mine.severity)
    for name in sorted((CORPUS / "not-bounce").glob("*.eml")):
        result.counts["not_bounces"] += 1
        if classify(name.read_bytes(), date(2026, 1, 1)).kind != "bounce":
            result.counts["not_bounce"] += 1
        else:
            result.miss("not_bounce", name.name)
    return result


def report(result: Agreement) -> str:
    c = result.counts
    lines = [
        f"kind (bounce / auto_reply / other): {c['kind']}/{c['rows']} = {result.rate('kind', 'rows'):.1%}",
        f"failed recipient found: {c['recipient']}/{c['bounces']} = {result.rate('recipient', 'bounces'):.1%}",
        f"status class (2/4/5): {c['class']}/{c['recipient']} = {result.rate('class', 'recipient'):.1%}",
        f"exact RFC 3463 status: {c['status']}/{c['rfc_status_rows']} = {result.rate('status', 'rfc_status_rows'):.1%}",
        f"hard bounce or not: {c['severity']}/{c['recipient']} = {result.rate('severity', 'recipient'):.1%}",
        f"not-bounces left alone: {c['not_bounce']}/{c['not_bounces']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    measured = measure()
    print(report(measured))
    if len(sys.argv) > 1:
        for item in measured.disagreements.get(sys.argv[1], []):
            print(*item)
