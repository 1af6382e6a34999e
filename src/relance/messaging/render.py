"""Rendering message templates.

Recruiters edit templates, so they are rendered in Jinja2's sandbox. A variable that is
missing is an error raised before anything is sent — never a blank in a sent message.

Line breaks are the text's own: a tag inside a line of text (`…{% endif %}` at the end of
a sentence) leaves the line break after it alone, and only a line that holds nothing but
tags disappears with its line break (as Mustache's "standalone" tags do). Jinja2's
`trim_blocks` would remove the line break after every block tag, gluing the next line to
the end of a sentence ("…en quelques minutes.Qu'en dites-vous ?").

A subject opens with one "Re: " at most, whatever the subject it answers held
(`subject_line`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
import jinja2.ext
import yaml
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from relance import french

LANGUAGES = ("fr", "en")

# What a template may use. Anything else is reported when the template is checked.
VARIABLES = frozenset(
    {
        "candidate",
        "recruiter",
        "company",
        "job",
        "hook",
        "previous",
        "step",
        "processing_days",
        "answer_days",
        "pool_link",
        "trigger",
        "notice",
        "preferences_link",
        "withdraw_link",
        "interview",  # the interview templates only (compose.interview_values)
    }
)


class TemplateProblem(ValueError):
    """A template that cannot be rendered: which one, and what is wrong."""

    def __init__(self, name: str, language: str, problem: str) -> None:
        super().__init__(f"template {name} ({language}): {problem}")
        self.name = name
        self.language = language
        self.problem = problem


@dataclass(frozen=True)
class Source:
    name: str
    language: str
    subject: str
    body: str


@dataclass(frozen=True)
class Rendered:
    name: str
    language: str
    subject: str
    body: str


class _Standalone(jinja2.ext.Extension):
    """A line holding only block tags or comments disappears with its line break; a tag
    within a line of text keeps the text's line break. Done by moving that line break
    inside the line's last tag, where Jinja2 ignores it: the line numbers of syntax
    errors stay right."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _STANDALONE.sub(_swallow_line_break, source)


# A block tag or a comment on one line; what it holds never closes it ("%}" ends it).
_TAG = r"(?:\{%(?:[^%\n]|%(?!\}))*%\}|\{#(?:[^#\n]|#(?!\}))*#\})"
_STANDALONE = re.compile(rf"^([ \t]*{_TAG}(?:[ \t]*{_TAG})*)[ \t]*\n", re.MULTILINE)


def _swallow_line_break(match: re.Match[str]) -> str:
    line = match.group(1)
    end = len(line) - 2  # before the closing "%}" or "#}"
    if line[end - 1] == "-":  # keep a whitespace control mark against its brace: "-%}"
        end -= 1
    return line[:end] + "\n" + line[end:]


_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # plain-text messages; HTML e-mail escapes at its own layer
    keep_trailing_newline=False,
    trim_blocks=False,  # see _Standalone
    lstrip_blocks=True,  # the indentation before a tag alone on its line goes with it
    extensions=[_Standalone],
)
# French elision before a name: {{ company|elide("de") }} is "d'Agence Démo" or "de Relance".
_ENV.filters["elide"] = lambda name, word: french.elide(word, str(name))


@lru_cache(maxsize=1)
def builtin() -> dict[tuple[str, str], Source]:
    """The built-in templates, by (name, language)."""
    out: dict[tuple[str, str], Source] = {}
    for language in LANGUAGES:
        path = resources.files("relance.messaging") / "builtin" / f"{language}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, entry in data.items():
            out[(name, language)] = Source(
                name=name,
                language=language,
                subject=str(entry.get("subject", "")).strip(),
                body=str(entry["body"]).strip(),
            )
    return out


@lru_cache(maxsize=512)
def _compiled(text: str) -> jinja2.Template:
    """A template's text compiled once: a campaign renders the same text thousands of
    times, and compiling costs more than rendering."""
    return _ENV.from_string(text)


@lru_cache(maxsize=512)
def _used(text: str) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(_ENV.parse(text)))


def undeclared(source: Source) -> set[str]:
    """Top-level variables the template uses that Relance does not provide."""
    used: set[str] = set()
    for text in (source.subject, source.body):
        try:
            used |= _used(text)
        except jinja2.TemplateSyntaxError as error:
            raise TemplateProblem(
                source.name, source.language, f"line {error.lineno}: {error.message}"
            ) from None
    return used - VARIABLES


def uses(source: Source, variable: str) -> bool:
    used: set[str] = set()
    for text in (source.subject, source.body):
        used |= meta.find_undeclared_variables(_ENV.parse(text))
    return variable in used


def render(source: Source, context: Mapping[str, Any]) -> Rendered:
    """Render a template; raise TemplateProblem naming the missing variable, if any."""
    unknown = undeclared(source)
    if unknown:
        raise TemplateProblem(
            source.name, source.language, f"unknown variable(s): {', '.join(sorted(unknown))}"
        )
    try:
        subject = _compiled(source.subject).render(context).strip()
        body = _compiled(source.body).render(context).strip()
    except jinja2.UndefinedError as error:
        raise TemplateProblem(
            source.name, source.language, f"missing value: {error.message}"
        ) from None
    except jinja2.TemplateError as error:
        raise TemplateProblem(source.name, source.language, str(error)) from None
    return Rendered(source.name, source.language, subject_line(subject), _tidy(body))


# Marks that mail clients put before a subject they answer or forward, in the languages
# our candidates' clients speak: "Re:", "RE :", "Re[2]:", "AW:" (German), "SV:" and
# "VS:" (Nordic), "Antw:" (Dutch); forwarded: "TR:" (French Outlook), "Fwd:", "Fw:",
# "WG:" (German). "Réf :" is left alone: it opens ordinary French subjects ("Réf : 2026-17").
_REPLY_MARKS = ("re", "aw", "sv", "vs", "antw")
_MARKS = re.compile(
    r"^(?:\s*(re|aw|sv|vs|antw|tr|fwd?|wg)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?[ \u00a0\u202f]*[:：])+\s*",
    re.IGNORECASE,
)


def subject_line(subject: str) -> str:
    """The subject on one line, opening with one "Re: " at most: a reply to "Re: Re: X",
    "RE : TR: X" or "Fwd: Re: X" is "Re: X" (the marks of forwarding go too: ours is a
    reply). A subject without a reply mark is left as it is."""
    subject = " ".join(subject.split())
    found = _MARKS.match(subject)
    if found is None:
        return subject
    marks = re.findall(r"[a-z]+", found.group(0).lower())
    if not any(mark in _REPLY_MARKS for mark in marks):
        return subject
    rest = subject[found.end() :]
    return f"Re: {rest}" if rest else "Re:"


def _tidy(text: str) -> str:
    """Collapse the blank lines that optional blocks leave behind."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return "\n".join(out).strip()
