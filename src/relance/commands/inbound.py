"""`relance inbound`: record an e-mail a mail server pipes in, or (`--classify`) only show
how e-mail files are understood, with no database."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "inbound_title": "{count} message(s) reçu(s), tels que Relance les comprend",
        "file": "Fichier",
        "kind": "Nature",
        "details": "Détails",
        "why": "Pourquoi",
        "kinds_inbound": {
            "reply": "réponse",
            "auto_reply": "réponse automatique",
            "bounce": "rejet",
            "other": "autre",
        },
        "severities": {"hard": "définitif", "soft": "temporaire", "policy": "blocage"},
        "back_on": "de retour le",
        "no_date": "(date non précisée)",
        "no_message": "un e-mail est attendu sur l'entrée standard : relance inbound < message.eml",
        "cannot_read": "{name} : impossible de le lire ({error})",
        "received": {
            "recorded": "Enregistré sur la fiche du candidat ; {stopped} relance(s) arrêtée(s).",
            "unmatched": "Gardé pour examen : aucun candidat ne correspond.",
            "ignored": "Gardé, sans suite : ni réponse, ni absence, ni rejet.",
            "duplicate": "Déjà reçu : rien de plus à faire.",
            "failed": "Gardé pour examen : le message n'a pas pu être traité ({error}).",
        },
    },
    "en": {
        "inbound_title": "{count} inbound message(s), as Relance understands them",
        "file": "File",
        "kind": "Kind",
        "details": "Details",
        "why": "Why",
        "kinds_inbound": {
            "reply": "reply",
            "auto_reply": "automatic reply",
            "bounce": "bounce",
            "other": "other",
        },
        "severities": {"hard": "hard", "soft": "soft", "policy": "policy"},
        "back_on": "back on",
        "no_date": "(no date given)",
        "no_message": "expected an e-mail on standard input: relance inbound < message.eml",
        "cannot_read": "{name}: cannot read it ({error})",
        "received": {
            "recorded": "Recorded on the candidate's timeline; {stopped} follow-up(s) stopped.",
            "unmatched": "Kept for inspection: no candidate matches it.",
            "ignored": "Kept, nothing to do: not a reply, an out-of-office or a bounce.",
            "duplicate": "Already received: nothing more to do.",
            "failed": "Kept for inspection: the message could not be processed ({error}).",
        },
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    inbound = sub.add_parser(
        "inbound",
        help="record an e-mail read from standard input (a reply, an out-of-office, a bounce)",
    )
    inbound.add_argument(
        "--classify",
        nargs="+",
        type=kinds.file,
        metavar="FILE",
        help="only show how these e-mail files (.eml) are understood, changing nothing",
    )
    inbound.add_argument("--org", help="organisation slug (needed when there are several)")
    inbound.add_argument("--json", action="store_true", help="one JSON object per message")
    common.add_language(inbound)
    inbound.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Record the e-mail on standard input, as a mail server's pipe delivers it."""
    from relance.messaging.receive import receive

    lang = common.language_of(args)
    raw = sys.stdin.buffer.read()
    if not raw.strip():
        raise common.BadInput(TEXT[lang]["no_message"])
    now = datetime.now(tz=UTC)
    common.migrate()
    org = common.organisation(args.org, lang)
    received = receive(org, raw, now)
    if args.json:
        print(
            json.dumps(
                {
                    "outcome": received.outcome,
                    "kind": received.kind,
                    "candidates": received.candidates,
                    "stopped": [e.situation for e in received.effects if e.kind == "stop"],
                    "inbound": received.inbound_id,
                    "error": received.error,
                },
                ensure_ascii=False,
            )
        )
    else:
        text = TEXT[lang]
        stopped = sum(1 for e in received.effects if e.kind == "stop")
        print(text["received"][received.outcome].format(stopped=stopped, error=received.error))
    return 1 if received.outcome == "failed" else 0


def classify_files(args: argparse.Namespace) -> int:
    """Classifying reads files only: no database, no Django."""
    from pathlib import Path

    from relance.messaging.inbound import classify, why_sentence

    lang = common.language_of(args)
    text = TEXT[lang]
    today = datetime.now(tz=UTC).date()
    results = []
    for name in args.classify:
        path = Path(name)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise common.BadInput(
                text["cannot_read"].format(name=name, error=error.strerror)
            ) from None
        results.append((name, classify(raw, today)))
    if args.json:
        for name, result in results:
            print(json.dumps({"file": name, **result.as_json(lang)}, ensure_ascii=False))
        return 0
    from rich.table import Table

    table = Table(title=text["inbound_title"].format(count=len(results)), title_justify="left")
    table.add_column(text["file"])
    table.add_column(text["kind"])
    table.add_column(text["details"])
    table.add_column(text["why"], ratio=1)
    for name, result in results:
        if result.kind == "bounce":
            details = "\n".join(
                f"{r.address} {r.status} ({text['severities'][r.severity]})"
                for r in result.recipients
            )
        elif result.kind == "auto_reply":
            back = result.return_date.isoformat() if result.return_date else text["no_date"]
            details = f"{text['back_on']} {back}"
        else:
            details = result.sender
        table.add_row(
            name, text["kinds_inbound"][result.kind], details,
            "; ".join(why_sentence(w, lang) for w in result.why),
        )  # fmt: skip
    common.console().print(table)
    return 0
