"""`relance alerts [--dry-run]`: the job-alert digests (pools/alerts.py) — who would
receive which jobs now and who would not and why, or write them to the outbox now. The
worker does the same by itself; this command shows it, or runs it at once."""

from __future__ import annotations

import argparse
from typing import Any

from relance import clock
from relance.commands import common
from relance.commands.arguments import Kinds
from relance.errors import InputError

TEXT = {
    "fr": {
        "threshold": "Alertes emploi de {org} : score minimal {threshold}.",
        "would": "{name} <{email}> recevrait : {jobs}",
        "excluded": "{name} <{email}> : rien pour l'instant ({why}) — {jobs}",
        "nothing": "Aucune offre ouverte récemment ne correspond à une personne qui a "
        "accepté les alertes emploi.",
        "dry": "Simulation : {n} envoi(s), {x} personne(s) écartée(s). Rien n'a été écrit.",
        "written": "{n} envoi(s) écrit(s) dans la file d'envoi, {x} personne(s) écartée(s).",
    },
    "en": {
        "threshold": "Job alerts of {org}: minimum score {threshold}.",
        "would": "{name} <{email}> would receive: {jobs}",
        "excluded": "{name} <{email}>: nothing now ({why}) — {jobs}",
        "nothing": "No recently opened job matches anyone who consented to job alerts.",
        "dry": "Dry run: {n} digest(s), {x} person(s) excluded. Nothing was written.",
        "written": "{n} digest(s) written to the outbox, {x} person(s) excluded.",
    },
}
REASONS = {
    "fr": {
        "do_not_contact": "ne pas contacter",
        "unsubscribed": "désinscrit(e)",
        "bounced": "adresse en échec",
        "no_email": "pas d'e-mail",
        "ended": "embauché(e) ou désisté(e)",
        "in_process": "en cours de process avec nous",
        "no_consent": "pas de consentement aux alertes emploi",
        "preference_never": "a choisi « jamais »",
        "preference_frequency": "rythme atteint",
        "pressure_cap": "plafond de messages atteint",
        "sending_window": "hors des heures d'envoi",
    },
    "en": {
        "do_not_contact": "do not contact",
        "unsubscribed": "unsubscribed",
        "bounced": "address bounced",
        "no_email": "no e-mail",
        "ended": "hired or withdrawn",
        "in_process": "in a process with us",
        "no_consent": "no consent to job alerts",
        "preference_never": "chose never",
        "preference_frequency": "rhythm reached",
        "pressure_cap": "pressure cap reached",
        "sending_window": "outside the sending window",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    alerts = sub.add_parser(
        "alerts", help="job alerts: the digests of matching jobs due now (the worker sends them)"
    )
    alerts.add_argument(
        "--dry-run",
        action="store_true",
        help="say who would receive which jobs, and who is excluded and why; write nothing",
    )
    alerts.add_argument(
        "--threshold",
        metavar="N",
        help="first set the organisation's minimum match score for job alerts (0-100; 70)",
    )
    alerts.add_argument("--org", help="organisation slug (needed when there are several)")
    common.add_language(alerts)
    alerts.set_defaults(run=run)


def _jobs(pairs: list[Any]) -> str:
    return ", ".join(f"{job.title} ({fit.score})" for job, fit in pairs)


def run(args: argparse.Namespace) -> int:
    from relance.pools import alerts

    common.migrate()
    lang = common.language_of(args)
    text = TEXT[lang]
    org = common.organisation(args.org, lang)
    now = clock.now()  # the clock, read once
    if args.threshold is not None:
        try:
            alerts.set_threshold(org, args.threshold)
        except InputError as problem:
            raise common.BadInput(f"--threshold: {problem}") from None
    print(text["threshold"].format(org=org.name, threshold=alerts.threshold(org)))
    seen = alerts.run(org, now, dry_run=args.dry_run)
    if not seen.digests and not seen.excluded:
        print(text["nothing"])
    for digest in seen.digests:
        person = digest.candidate
        print(
            text["would"].format(name=person.full_name, email=person.email, jobs=_jobs(digest.jobs))
        )
    for person, why, pairs in seen.excluded:
        print(
            text["excluded"].format(
                name=person.full_name,
                email=person.email,
                why=REASONS[lang].get(why, why),
                jobs=_jobs(pairs),
            )
        )
    done = text["dry"] if args.dry_run else text["written"]
    print(done.format(n=len(seen.digests) if args.dry_run else seen.written, x=len(seen.excluded)))
    return 0
