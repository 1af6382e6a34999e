"""Checks on a template before it is saved: what a recruiter must fix, and what they
should think twice about. The built-in templates pass every one (tests/test_templates.py).

And the last check on a message before it is written to the outbox (`unsendable`): an
empty one, or one that still holds a place a recruiter was meant to fill in, never leaves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils import translation

from relance.engine.rules import similarity
from relance.messaging.render import (
    Source,
    TemplateProblem,
    builtin,
    render,
    undeclared,
    uses,
)

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


# --- placeholders: what a recruiter must write before a message leaves ------------------

# A placeholder of our templates is an instruction to the recruiter between square
# brackets: "[", at least two words, a full stop or an ellipsis, "]" —
# "[Les raisons, deux au plus, concrètes.]", "[one concrete piece of advice…]". Brackets
# that candidates meet in real text are not: "Développeur Java [H/F]", "[…]", "[1]",
# "[PDF]". Every built-in placeholder follows this form (tests/test_templates.py).
PLACEHOLDER = re.compile(r"\[(?=[^\[\]\n]*\w\s+\w)[^\[\]\n]{3,}?(?:\.|…)\s*\]")


@lru_cache(maxsize=1)
def _builtin_instructions() -> tuple[str, ...]:
    """The words of our own placeholders, brackets removed: one that lost its brackets
    while the text around it was edited is still an instruction, not a message."""
    found = {
        match.group(0)[1:-1].strip().rstrip(".…").strip()
        for source in builtin().values()
        for match in PLACEHOLDER.finditer(source.body + "\n" + source.subject)
    }
    return tuple(sorted(text.casefold() for text in found if len(text) >= 12))


def placeholders(text: str) -> list[str]:
    """The places left to fill in `text`, as they appear in it."""
    found = [match.group(0) for match in PLACEHOLDER.finditer(text)]
    folded = text.casefold()
    for words in _builtin_instructions():
        if words in folded and not any(words in f.casefold() for f in found):
            start = folded.index(words)
            found.append(text[start : start + len(words)])
    return found


UNSENDABLE = {
    "empty_subject": {
        "fr": "L'objet de l'e-mail est vide.",
        "en": "The e-mail's subject is empty.",
    },
    "empty_body": {
        "fr": "Le message est vide.",
        "en": "The message is empty.",
    },
    "placeholder": {
        "fr": "Le message contient encore du texte à compléter : {found}. "
        "Remplacez-le par le vôtre avant d'envoyer.",
        "en": "The message still holds text to fill in: {found}. "
        "Replace it with your own words before sending.",
    },
}


class Unsendable(ValueError):
    """A message that must not leave: empty, or still holding a placeholder. Shown in the
    language active at that moment (the reader's, in the web app); `reason(language)`
    for another one."""

    def __init__(self, code: str, found: tuple[str, ...] = ()) -> None:
        super().__init__(code, found)
        self.code = code  # empty_subject, empty_body, placeholder
        self.found = found  # the placeholders, as they appear in the message

    def reason(self, language: str) -> str:
        texts = UNSENDABLE[self.code]
        quote = "« {} »" if language == "fr" else '"{}"'
        found = ", ".join(quote.format(text) for text in self.found)
        return texts.get(language, texts["en"]).format(found=found)

    def __str__(self) -> str:
        return self.reason((translation.get_language() or "en")[:2])


def problem(subject: str | None, body: str) -> Unsendable | None:
    """Why this message must not leave, or None. `subject` None: a message without one
    (SMS, LinkedIn)."""
    if subject is not None and not subject.strip():
        return Unsendable("empty_subject")
    if not body.strip():
        return Unsendable("empty_body")
    found = placeholders(subject or "") + placeholders(body)
    return Unsendable("placeholder", tuple(found)) if found else None


def unsendable(subject: str | None, body: str, language: str) -> str | None:
    """The reason, in `language` (fr, en), why this message must not leave; None if it
    may. Checked when a recruiter sends an edited e-mail, and on every message written to
    the outbox."""
    found = problem(subject, body)
    return found.reason(language) if found is not None else None
