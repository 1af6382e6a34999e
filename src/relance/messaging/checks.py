"""Checks on a template before it is saved: what a recruiter must fix, and what they
should think twice about. The built-in templates pass every one (tests/test_templates.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relance.engine.rules import similarity
from relance.messaging.render import Source, TemplateProblem, render, undeclared, uses

# Two follow-ups this alike read as the same copy-paste twice.
TOO_SIMILAR = 0.5


@dataclass(frozen=True)
class Problem:
    code: str  # syntax, unknown_variable, missing_value, repeats_previous, ignores_previous
    blocking: bool  # a blocking problem would fail at send time: it cannot be saved
    detail: str = ""


def step_of(name: str) -> tuple[str, int, str] | None:
    """(situation, step, channel) of a follow-up template's name, else None."""
    parts = name.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


def check(source: Source, before: Source | None, variables: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with `source`, given the template of the step before it (`before`)
    and real variables to render both with."""
    try:
        unknown = undeclared(source)
    except TemplateProblem as error:
        return [Problem("syntax", True, error.problem)]
    if unknown:
        return [Problem("unknown_variable", True, ", ".join(sorted(unknown)))]
    try:
        text = render(source, variables).body
    except TemplateProblem as error:
        return [Problem("missing_value", True, error.problem)]
    problems = []
    step = step_of(source.name)
    if step is not None and step[1] >= 1 and step[2] != "phone":
        if not uses(source, "previous"):
            problems.append(Problem("ignores_previous", False))
        if before is not None:
            try:
                score = similarity(text, render(before, variables).body)
            except TemplateProblem:
                score = 0.0
            if score >= TOO_SIMILAR:
                problems.append(Problem("repeats_previous", False, f"{score:.0%}"))
    return problems
