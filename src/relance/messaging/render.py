"""Rendering message templates.

Recruiters edit templates, so they are rendered in Jinja2's sandbox. A variable that is
missing is an error raised before anything is sent — never a blank in a sent message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
import yaml
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

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


_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # plain-text messages; HTML e-mail escapes at its own layer
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


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
    return Rendered(source.name, source.language, subject, _tidy(body))


def _tidy(text: str) -> str:
    """Collapse the blank lines that optional blocks leave behind."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return "\n".join(out).strip()
