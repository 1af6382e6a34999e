"""`relance worker`: the loop that sends what is due through the outbox."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "cycle": "Cycle : {queued} écrit(s) dans la boîte d'envoi, {sent} envoyé(s), "
        "{retried} à réessayer, {failed} refusé(s), {uncertain} incertain(s), "
        "{cancelled} annulé(s), {recovered} repris ; {received} message(s) reçu(s).",
        "worker_started": "Worker {name} démarré : un cycle toutes les {interval:g} s.",
        "worker_stopped": "Worker arrêté proprement.",
        "base_url": "ATTENTION : RELANCE_BASE_URL vaut {url} : les liens des e-mails que "
        "reçoivent les candidats (désinscription, consentement, préférences) {problem}. "
        "Donnez à RELANCE_BASE_URL l'adresse publique en https:// de l'application web.",
        "localhost": "mènent à cette machine, pas à une adresse publique : ils ne marcheront "
        "pas chez eux",
        "http": "ne sont pas chiffrés (http://)",
    },
    "en": {
        "cycle": "Cycle: {queued} written to the outbox, {sent} sent, {retried} to retry, "
        "{failed} refused, {uncertain} uncertain, {cancelled} cancelled, {recovered} taken back; "
        "{received} message(s) received.",
        "worker_started": "Worker {name} started: one cycle every {interval:g} s.",
        "worker_stopped": "Worker stopped cleanly.",
        "base_url": "WARNING: RELANCE_BASE_URL is {url}: the links in the e-mails candidates "
        "receive (unsubscribe, consent, preferences) {problem}. Set RELANCE_BASE_URL to the "
        "web app's public https:// address.",
        "localhost": "lead to this machine, not to a public address: they will not work for them",
        "http": "are not encrypted (http://)",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    worker = sub.add_parser(
        "worker", help="send what is due through the outbox, in a loop (Ctrl-C or SIGTERM stops)"
    )
    worker.add_argument("--once", action="store_true", help="one cycle, then exit")
    worker.add_argument(
        "--interval", type=kinds.seconds, default=30.0, help="seconds between cycles (30)"
    )
    worker.add_argument(
        "--batch",
        type=kinds.count(maximum=10_000),
        default=50,
        help="outbox rows claimed at a time (50)",
    )
    worker.add_argument("--name", help="this worker's name in the outbox (default: host:pid)")
    worker.add_argument(
        "--now",
        type=kinds.instant,
        help="start the clock at this moment (ISO 8601 with offset); it then runs on",
    )
    common.add_language(worker)
    worker.set_defaults(run=run)


def warn_about_links(lang: str) -> str | None:
    """A loud warning when real e-mail leaves with candidates' links that cannot work:
    a base URL on localhost, or in plain http. The demo's worker (a local mail sink) and
    a backend that keeps mail in memory, in files or on the console are not real sending."""
    from django.conf import settings

    from relance import config

    if any(word in settings.EMAIL_BACKEND for word in ("console", "locmem", "filebased", "dummy")):
        return None
    problem = config.base_url_problem(settings.RELANCE_BASE_URL)
    if problem is None:
        return None
    text = TEXT[lang]
    return text["base_url"].format(url=settings.RELANCE_BASE_URL, problem=text[problem])


def run(args: argparse.Namespace) -> int:
    import signal

    from relance import clock
    from relance.worker import Worker

    common.migrate()
    lang = common.language_of(args)
    warning = warn_about_links(lang)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    if args.now:
        clock.start_at(args.now)  # the clock starts there and runs on
    worker = Worker(name=args.name, batch=args.batch, clock=clock.now)
    text = TEXT[lang]

    def show(report: Any) -> None:
        print(text["cycle"].format(**vars(report)), flush=True)

    if args.once:
        show(worker.cycle())
        worker.transport.close()
        return 0
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    print(text["worker_started"].format(name=worker.name, interval=args.interval), flush=True)
    worker.run(args.interval, show)
    print(text["worker_stopped"], flush=True)
    return 0
