"""`relance simulate`: replay a scenario with a virtual clock and print every decision."""

from __future__ import annotations

import argparse
import json
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "timeline_title": "Simulation : {source} — {count} décision(s)",
        "due": "Échéance",
        "candidate": "Candidat",
        "what": "Quoi",
        "why": "Pourquoi",
        "kinds": {"send": "envoi auto", "task": "à faire", "alert": "alerte", "stop": "arrêt"},
    },
    "en": {
        "timeline_title": "Simulation: {source} — {count} decision(s)",
        "due": "Due",
        "candidate": "Candidate",
        "what": "What",
        "why": "Why",
        "kinds": {"send": "auto-send", "task": "to do", "alert": "alert", "stop": "stop"},
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    simulate = sub.add_parser(
        "simulate", help="replay a scenario with a virtual clock and print every decision"
    )
    simulate.add_argument(
        "scenario",
        type=kinds.file,
        help="a scenario file, YAML or JSON (see docs/scenarios.md)",
    )
    simulate.add_argument("--json", action="store_true", help="one JSON object per decision")
    common.add_language(simulate)
    simulate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from relance import scenario as scenario_module
    from relance import simulate

    scenario = scenario_module.load(args.scenario)
    common.migrate()
    result = simulate.run(scenario)
    if args.json:
        for line in result.decisions:
            print(json.dumps(line.as_json(), ensure_ascii=False))
        return 0
    _print_timeline(result, common.language_of(args))
    return 0


def _print_timeline(result: Any, lang: str) -> None:
    from rich.table import Table

    from relance.engine.reasons import action_label, channel_label, event_label, short_moment

    text = TEXT[lang]
    names = {c.id: f"{c.first_name} {c.last_name}".strip() for c in result.scenario.candidates}
    table = Table(
        title=text["timeline_title"].format(
            source=result.scenario.source, count=len(result.decisions)
        ),
        title_justify="left",
    )
    table.add_column(text["due"], no_wrap=True)
    table.add_column(text["candidate"])
    table.add_column(text["what"])
    table.add_column(text["why"], ratio=1)
    styles = {"send": "green", "task": "cyan", "alert": "bold red", "stop": "magenta"}
    for line in result.lines:
        when = short_moment(line.at, lang)
        if line.kind == "event":
            what = f"· {event_label(line.reason, lang)}"
            if line.channel:
                what += f" ({channel_label(line.channel, lang)})"
            outcome = str(line.params.get("outcome") or "")
            table.add_row(
                f"[dim]{when}[/]",
                f"[dim]{names[line.candidate]}[/]",
                f"[dim]{what}[/]",
                f"[dim]{outcome}[/]",
            )
            continue
        style = styles.get(line.kind, "")
        kind = text["kinds"].get(line.kind, line.kind)
        what = f"[{style}]{kind}[/] " + action_label(
            line.situation or "", line.step, line.channel, lang
        )
        table.add_row(when, names[line.candidate], what, line.text(lang))
    common.console().print(table)
