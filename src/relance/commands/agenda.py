"""`relance agenda`: what is due, in priority order, each with its reason."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "agenda_title": "Agenda du {when} — {count} relance(s) à faire",
        "agenda_empty": "Rien à faire pour l'instant : toutes les relances sont à jour.",
        "due": "Échéance",
        "candidate": "Candidat",
        "what": "Quoi",
        "why": "Pourquoi",
        "overdue": "EN RETARD",
        "showing": "{shown} affichée(s) sur {count}. Voir plus : relance agenda --limit {more}",
        "kinds": {"send": "envoi auto", "task": "à faire", "alert": "alerte", "stop": "arrêt"},
        "alerts": "Alertes",
    },
    "en": {
        "agenda_title": "Agenda for {when} — {count} follow-up(s) due",
        "agenda_empty": "Nothing to do right now: every follow-up is up to date.",
        "due": "Due",
        "candidate": "Candidate",
        "what": "What",
        "why": "Why",
        "overdue": "OVERDUE",
        "showing": "Showing {shown} of {count}. See more: relance agenda --limit {more}",
        "kinds": {"send": "auto-send", "task": "to do", "alert": "alert", "stop": "stop"},
        "alerts": "Alerts",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    agenda = sub.add_parser("agenda", help="what is due, in priority order, with the reason")
    agenda.add_argument("--org", help="organisation slug (needed when there are several)")
    agenda.add_argument("--recruiter", metavar="EMAIL", help="only this recruiter's agenda")
    agenda.add_argument(
        "--now",
        type=kinds.instant,
        help="the moment to look at (ISO 8601 with offset; default: now)",
    )
    agenda.add_argument(
        "--limit", type=kinds.count(), default=50, help="at most this many rows (50)"
    )
    agenda.add_argument("--json", action="store_true", help="one JSON object per line")
    common.add_language(agenda)
    agenda.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    now = args.now or datetime.now(tz=UTC)
    lang = common.language_of(args)
    common.migrate()
    org = common.organisation(args.org, lang)
    recruiter = common.recruiter(org, args.recruiter, lang)
    show(org, recruiter, now, now, args.limit, args.json, lang)
    return 0


def show(
    org: Any,
    recruiter: Any,
    now: datetime,
    until: datetime,
    limit: int,
    as_json: bool,
    lang: str,
) -> None:
    from relance.followups import agenda

    rows = agenda.items(org, until, now, recruiter, limit)
    if as_json:
        for item in rows:
            print(json.dumps(item.as_json(lang), ensure_ascii=False))
        return
    count = agenda.count_due(org, until, recruiter)
    _print_alerts(org, recruiter, lang)
    _print_agenda(rows, count, now, org, lang, limit)


def _print_alerts(org: Any, recruiter: Any, lang: str) -> None:
    """Open alerts (a paused sending mailbox) come before the agenda: they block work."""
    from relance.messaging.models import Alert
    from relance.messaging.senders import alert_text

    alerts = Alert.objects.of(org).filter(resolved_at__isnull=True)
    if recruiter is not None:
        alerts = alerts.filter(recruiter=recruiter)
    for alert in alerts.order_by("created_at"):
        common.console().print(f"[bold red]{TEXT[lang]['alerts']}[/] — {alert_text(alert, lang)}")


def _print_agenda(
    rows: list[Any], count: int, now: datetime, org: Any, lang: str, limit: int
) -> None:
    from rich.table import Table

    from relance.engine import calendar
    from relance.engine.reasons import action_label, format_moment, short_moment, stage_label

    text = TEXT[lang]
    console = common.console()
    when = format_moment(calendar.local(now, org.timezone), lang)
    if not rows:
        console.print(text["agenda_empty"])
        return
    table = Table(title=text["agenda_title"].format(when=when, count=count), title_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column(text["due"], no_wrap=True)
    table.add_column(text["candidate"], max_width=32)
    table.add_column(text["what"], max_width=44)
    table.add_column(text["why"], ratio=1)
    for rank, item in enumerate(rows, start=1):
        due = short_moment(item.due_at, lang)
        if item.overdue:
            due = f"{due}\n[bold red]{text['overdue']}[/]"
        stars = f" [yellow]{'★' * item.stars}[/]" if item.stars else ""
        details = " · ".join(x for x in (stage_label(item.stage, lang), item.job) if x)
        who = f"{item.candidate}{stars}" + (f"\n[dim]{details}[/]" if details else "")
        kind = text["kinds"].get(item.kind, item.kind)
        what = action_label(item.situation, item.step, item.channel, lang)
        recruiter = item.recruiter.split("@")[0]
        table.add_row(
            str(rank), due, who, f"{what}\n[cyan]{kind}[/] [dim]· {recruiter}[/]", item.why(lang)
        )
    console.print(table)
    if count > len(rows):
        console.print(
            text["showing"].format(shown=len(rows), count=count, more=min(count, limit * 2))
        )
