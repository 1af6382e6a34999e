"""The `relance` command: demo, agenda, simulate, manage.

Commands are thin: they parse arguments, read the clock once, call the services and
print. Bad input exits with code 2 and a message naming what was wrong and where.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from relance.engine.policy import PolicyError
from relance.errors import InputError

EXIT_BAD_INPUT = 2

TEXT = {
    "fr": {
        "agenda_title": "Agenda du {when} — {count} relance(s) à faire",
        "agenda_empty": "Rien à faire pour l'instant : toutes les relances sont à jour.",
        "due": "Échéance",
        "candidate": "Candidat",
        "stage": "Étape",
        "what": "Quoi",
        "why": "Pourquoi",
        "recruiter": "Recruteur",
        "overdue": "EN RETARD",
        "showing": "{shown} affichée(s) sur {count}. Voir plus : relance agenda --limit {more}",
        "demo_loaded": "Organisation de démonstration « {name} » : "
        "{candidates} candidats, {recruiters} recruteurs.",
        "demo_preparing": "Préparation de la base et de l'organisation de démonstration…",
        "demo_moment": "Hors des heures de bureau : la démonstration se place au {moment} "
        "(rien ne part en dehors des heures d'envoi ; --now pour choisir le moment).",
        "demo_mail": "Le worker vient d'envoyer {sent} e-mail(s) à un serveur SMTP local "
        "({waiting} attendent l'heure d'envoi) : les {kept} message(s) reçus sont dans {folder}",
        "demo_try": "Essayez : relance agenda --recruiter {email}   ·   relance simulate {example}",
        "demo_web": "L'application web tourne sur {url} — connectez-vous avec "
        "{email} / {password}. "
        "Un worker envoie en arrière-plan vers le serveur SMTP local (page « E-mails de démo »). "
        "Ctrl-C pour arrêter.",
        "web_started": "Relance sert l'application web sur {url} ({threads} fils). "
        "Ctrl-C pour arrêter.",
        "web_stopped": "Application web arrêtée.",
        "retention_dry": "{org} : {rejected} candidat(s) refusé(s) sans consentement depuis "
        "plus de 3 mois et {expired} sans contact depuis 2 ans seraient anonymisés ; "
        "{renew} membre(s) du vivier à qui demander de renouveler. (--dry-run : rien "
        "n'est changé)",
        "retention_done": "{org} : {rejected} candidat(s) refusé(s) et {expired} sans "
        "contact depuis 2 ans anonymisés ; {renew} membre(s) du vivier à qui demander de "
        "renouveler ({asked} e-mail(s) de renouvellement écrit(s) aujourd'hui).",
        "exported": "Export écrit dans {path} ({size} octets). L'accès est noté au journal.",
        "erase_dry": "Le candidat n° {id} ({name}) serait effacé de toutes les tables. "
        "Ajoutez --yes pour le faire.",
        "erased": "Candidat n° {id} effacé ({details}). Seule une empreinte de ses "
        "coordonnées reste, pour ne plus jamais le contacter par erreur.",
        "kinds": {"send": "envoi auto", "task": "à faire", "alert": "alerte", "stop": "arrêt"},
        "event": "événement",
        "timeline_title": "Simulation : {source} — {count} décision(s)",
        "no_org": "Aucune organisation dans la base. Lancez d'abord : relance demo",
        "many_orgs": "Plusieurs organisations ({slugs}) : précisez --org SLUG",
        "inbound_title": "{count} message(s) reçu(s), tels que Relance les comprend",
        "file": "Fichier",
        "kind": "Nature",
        "details": "Détails",
        "kinds_inbound": {
            "reply": "réponse",
            "auto_reply": "réponse automatique",
            "bounce": "rejet",
            "other": "autre",
        },
        "severities": {"hard": "définitif", "soft": "temporaire", "policy": "blocage"},
        "back_on": "de retour le",
        "no_date": "(date non précisée)",
        "cycle": "Cycle : {queued} écrit(s) dans la boîte d'envoi, {sent} envoyé(s), "
        "{retried} à réessayer, {failed} refusé(s), {uncertain} incertain(s), "
        "{cancelled} annulé(s), {recovered} repris ; {received} message(s) reçu(s).",
        "worker_started": "Worker {name} démarré : un cycle toutes les {interval:g} s.",
        "worker_stopped": "Worker arrêté proprement.",
        "password": "Mot de passe de la boîte : ",
        "no_outbox_row": "aucun e-mail n° {id} dans la boîte d'envoi",
        "not_uncertain": "l'e-mail n° {id} n'est pas incertain (état : {status})",
        "settled": "E-mail n° {id} : {status}.",
        "no_password": "un mot de passe est nécessaire (RELANCE_MAILBOX_PASSWORD ou saisi)",
        "mailbox_added": "Boîte ajoutée : {mailbox}. Le worker la lira à chaque cycle.",
        "sender_added": "Identité d'envoi enregistrée : {sender} ({server}) ; limites : "
        "{per_minute}/min, {per_day}/jour, {per_domain}/min par domaine (0 : aucune).",
        "relay": "relais de l'installation",
        "sender_resumed": "Envois repris depuis {sender} : {waiting} e-mail(s) en attente "
        "partent au prochain cycle.",
        "no_sender": "aucune identité d'envoi pour {address}",
        "sender_check_failed": "connexion au serveur SMTP de {sender} impossible : {error}",
        "alerts": "Alertes",
        "mailbox_check_failed": "connexion à {mailbox} impossible : {error}",
        "received": {
            "recorded": "Enregistré sur la fiche du candidat ; {stopped} relance(s) arrêtée(s).",
            "unmatched": "Gardé pour examen : aucun candidat ne correspond.",
            "ignored": "Gardé, sans suite : ni réponse, ni absence, ni rejet.",
            "duplicate": "Déjà reçu : rien de plus à faire.",
            "failed": "Gardé pour examen : le message n'a pas pu être traité ({error}).",
        },
    },
    "en": {
        "agenda_title": "Agenda for {when} — {count} follow-up(s) due",
        "agenda_empty": "Nothing to do right now: every follow-up is up to date.",
        "due": "Due",
        "candidate": "Candidate",
        "stage": "Stage",
        "what": "What",
        "why": "Why",
        "recruiter": "Recruiter",
        "overdue": "OVERDUE",
        "showing": "Showing {shown} of {count}. See more: relance agenda --limit {more}",
        "demo_loaded": "Demo organisation '{name}': "
        "{candidates} candidates, {recruiters} recruiters.",
        "demo_preparing": "Preparing the database and the demo organisation…",
        "demo_moment": "Outside office hours: the demo takes place on {moment} "
        "(nothing leaves outside sending hours; --now to choose the moment).",
        "demo_mail": "The worker just sent {sent} e-mail(s) to a local SMTP server "
        "({waiting} wait for sending hours): the {kept} message(s) it kept are in {folder}",
        "demo_try": "Try: relance agenda --recruiter {email}   ·   relance simulate {example}",
        "demo_web": "The web app runs at {url} — sign in as {email} / {password}. "
        "A worker sends in the background to the local SMTP server (page 'Demo mail'). "
        "Ctrl-C stops.",
        "web_started": "Relance serves the web app at {url} ({threads} threads). Ctrl-C stops.",
        "web_stopped": "Web app stopped.",
        "retention_dry": "{org}: {rejected} rejected candidate(s) without consent for over "
        "3 months and {expired} with no contact for 2 years would be anonymised; {renew} "
        "talent-pool member(s) to ask to renew. (--dry-run: nothing changed)",
        "retention_done": "{org}: {rejected} rejected candidate(s) and {expired} with no "
        "contact for 2 years anonymised; {renew} talent-pool member(s) to ask to renew "
        "({asked} renewal e-mail(s) written today).",
        "exported": "Export written to {path} ({size} bytes). The access is in the audit log.",
        "erase_dry": "Candidate #{id} ({name}) would be erased from every table. "
        "Add --yes to do it.",
        "erased": "Candidate #{id} erased ({details}). Only a digest of their details "
        "remains, so they are never contacted again by mistake.",
        "kinds": {"send": "auto-send", "task": "to do", "alert": "alert", "stop": "stop"},
        "event": "event",
        "timeline_title": "Simulation: {source} — {count} decision(s)",
        "no_org": "No organisation in the database yet. Run first: relance demo",
        "many_orgs": "Several organisations ({slugs}): choose one with --org SLUG",
        "inbound_title": "{count} inbound message(s), as Relance understands them",
        "file": "File",
        "kind": "Kind",
        "details": "Details",
        "kinds_inbound": {
            "reply": "reply",
            "auto_reply": "automatic reply",
            "bounce": "bounce",
            "other": "other",
        },
        "severities": {"hard": "hard", "soft": "soft", "policy": "policy"},
        "back_on": "back on",
        "no_date": "(no date given)",
        "cycle": "Cycle: {queued} written to the outbox, {sent} sent, {retried} to retry, "
        "{failed} refused, {uncertain} uncertain, {cancelled} cancelled, {recovered} taken back; "
        "{received} message(s) received.",
        "worker_started": "Worker {name} started: one cycle every {interval:g} s.",
        "worker_stopped": "Worker stopped cleanly.",
        "password": "Mailbox password: ",
        "no_outbox_row": "no e-mail number {id} in the outbox",
        "not_uncertain": "e-mail number {id} is not uncertain (it is {status})",
        "settled": "E-mail number {id}: {status}.",
        "no_password": "a password is needed (RELANCE_MAILBOX_PASSWORD, or typed in)",
        "mailbox_added": "Mailbox added: {mailbox}. The worker reads it every cycle.",
        "sender_added": "Sending identity saved: {sender} ({server}); limits: "
        "{per_minute}/min, {per_day}/day, {per_domain}/min per domain (0: none).",
        "relay": "the installation's relay",
        "sender_resumed": "Sending resumed from {sender}: {waiting} waiting e-mail(s) leave "
        "at the next cycle.",
        "no_sender": "no sending identity for {address}",
        "sender_check_failed": "cannot connect to {sender}'s SMTP server: {error}",
        "alerts": "Alerts",
        "mailbox_check_failed": "cannot log in to {mailbox}: {error}",
        "received": {
            "recorded": "Recorded on the candidate's timeline; {stopped} follow-up(s) stopped.",
            "unmatched": "Kept for inspection: no candidate matches it.",
            "ignored": "Kept, nothing to do: not a reply, an out-of-office or a bounce.",
            "duplicate": "Already received: nothing more to do.",
            "failed": "Kept for inspection: the message could not be processed ({error}).",
        },
    },
}


class BadInput(InputError):
    pass


def default_language() -> str:
    chosen = os.environ.get("RELANCE_LANGUAGE") or os.environ.get("LANG", "")
    return "fr" if chosen.lower().startswith("fr") else "en"


def parse_now(raw: str | None) -> datetime:
    from relance import clock

    return datetime.now(tz=UTC) if raw is None else clock.parse_instant(raw, "--now")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relance",
        description="Relance: the right follow-up, to the right candidate, at the right time "
        "— and never harassment.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def language(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--lang",
            choices=["fr", "en"],
            default=None,
            help="language of what is printed (default: RELANCE_LANGUAGE, else from LANG)",
        )

    demo = sub.add_parser("demo", help="create the database, load a demo organisation, show today")
    demo.add_argument("--now", help="pretend it is this moment (ISO 8601 with offset)")
    demo.add_argument(
        "--reset", action="store_true", help="delete the demo organisation and reload it"
    )
    demo.add_argument("--limit", type=int, default=20, help="rows of the agenda to show (20)")
    demo.add_argument(
        "--no-web", action="store_true", help="only print the agenda; do not start the web app"
    )
    demo.add_argument("--host", default="127.0.0.1", help="the web app's address (127.0.0.1)")
    demo.add_argument(
        "--worker-interval",
        type=float,
        default=5.0,
        help="seconds between the background worker's cycles (5)",
    )
    demo.add_argument("--port", type=int, default=8000, help="the web app's port (8000; 0: any)")
    language(demo)

    web = sub.add_parser("web", help="serve the web app (waitress; Ctrl-C or SIGTERM stops)")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    web.add_argument("--port", type=int, default=8000, help="port (8000; 0: any free port)")
    web.add_argument("--threads", type=int, default=8, help="request threads (8)")
    language(web)

    agenda = sub.add_parser("agenda", help="what is due, in priority order, with the reason")
    agenda.add_argument("--org", help="organisation slug (needed when there are several)")
    agenda.add_argument("--recruiter", metavar="EMAIL", help="only this recruiter's agenda")
    agenda.add_argument("--now", help="the moment to look at (ISO 8601 with offset; default: now)")
    agenda.add_argument("--limit", type=int, default=50, help="at most this many rows (50)")
    agenda.add_argument("--json", action="store_true", help="one JSON object per line")
    language(agenda)

    simulate = sub.add_parser(
        "simulate", help="replay a scenario with a virtual clock and print every decision"
    )
    simulate.add_argument("scenario", help="a scenario file, YAML or JSON (see docs/scenarios.md)")
    simulate.add_argument("--json", action="store_true", help="one JSON object per decision")
    language(simulate)

    inbound = sub.add_parser(
        "inbound",
        help="record an e-mail read from standard input (a reply, an out-of-office, a bounce)",
    )
    inbound.add_argument(
        "--classify",
        nargs="+",
        metavar="FILE",
        help="only show how these e-mail files (.eml) are understood, changing nothing",
    )
    inbound.add_argument("--org", help="organisation slug (needed when there are several)")
    inbound.add_argument("--json", action="store_true", help="one JSON object per message")
    language(inbound)

    worker = sub.add_parser(
        "worker", help="send what is due through the outbox, in a loop (Ctrl-C or SIGTERM stops)"
    )
    worker.add_argument("--once", action="store_true", help="one cycle, then exit")
    worker.add_argument("--interval", type=float, default=30.0, help="seconds between cycles (30)")
    worker.add_argument("--batch", type=int, default=50, help="outbox rows claimed at a time (50)")
    worker.add_argument("--name", help="this worker's name in the outbox (default: host:pid)")
    worker.add_argument(
        "--now", help="start the clock at this moment (ISO 8601 with offset); it then runs on"
    )
    language(worker)

    mailbox = sub.add_parser("mailbox", help="the IMAP mailboxes the worker reads replies from")
    mailbox_sub = mailbox.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = mailbox_sub.add_parser(
        "add", help="add a mailbox (password from RELANCE_MAILBOX_PASSWORD, or asked)"
    )
    add.add_argument("--org", help="organisation slug (needed when there are several)")
    add.add_argument("--recruiter", metavar="EMAIL", help="the recruiter whose mailbox it is")
    add.add_argument("--host", required=True)
    add.add_argument("--port", type=int, help="993 with ssl, else 143")
    add.add_argument("--user", required=True)
    add.add_argument("--security", choices=["ssl", "starttls", "none"], default="ssl")
    add.add_argument("--folder", default="INBOX")
    add.add_argument(
        "--sent-folder",
        default="",
        help="where the provider files every message it accepts (e.g. Sent)",
    )
    add.add_argument("--check", action="store_true", help="log in once to check it works")
    mailbox_sub.add_parser("list", help="the mailboxes, when each was last read, the last error")
    language(mailbox)

    sender = sub.add_parser(
        "sender", help="recruiters' sending identities: address, own SMTP server, limits"
    )
    sender_sub = sender.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sender_sub.add_parser(
        "add",
        help="set a recruiter's sending identity (SMTP password from RELANCE_SENDER_PASSWORD,"
        " or asked when --user is given)",
    )
    add.add_argument("--org", help="organisation slug (needed when there are several)")
    add.add_argument("--recruiter", metavar="EMAIL", required=True)
    add.add_argument("--address", help="the address candidates see (default: the recruiter's)")
    add.add_argument("--name", help="the display name (default: the recruiter's full name)")
    add.add_argument("--host", default="", help="own SMTP server (default: the relay)")
    add.add_argument("--port", type=int, help="587 with starttls, 465 with ssl, else 25")
    add.add_argument("--user", default="", help="SMTP login")
    add.add_argument("--security", choices=["starttls", "ssl", "none"], default="starttls")
    add.add_argument("--per-minute", type=int, default=20, help="at most this many a minute (20)")
    add.add_argument(
        "--per-day", type=int, default=100, help="at most this many a day (100: a new mailbox)"
    )
    add.add_argument(
        "--per-domain-per-minute",
        type=int,
        default=10,
        help="at most this many a minute to one recipient domain (10)",
    )
    add.add_argument("--check", action="store_true", help="connect (and log in) once to check")
    sender_sub.add_parser("list", help="the sending identities, their limits, paused or not")
    resume = sender_sub.add_parser("resume", help="lift a pause after a policy refusal")
    resume.add_argument("address", help="the sender's address")
    language(sender)

    export = sub.add_parser(
        "export-candidate", help="everything held about a person, as a zip (an access request)"
    )
    erase = sub.add_parser(
        "erase-candidate", help="erase a person from every table, on their request"
    )
    for one in (export, erase):
        one.add_argument("--org", help="organisation slug (needed when there are several)")
        who = one.add_mutually_exclusive_group(required=True)
        who.add_argument("--id", type=int, help="the candidate's id")
        who.add_argument("--email", help="the candidate's e-mail address")
        one.add_argument("--by", metavar="EMAIL", help="the recruiter who does it (audit log)")
        language(one)
    export.add_argument("--output", help="the zip file to write (default: candidate-ID.zip)")
    erase.add_argument("--yes", action="store_true", help="do it (without it: only say what)")

    keep = sub.add_parser(
        "retention", help="anonymise whom the retention rules no longer allow to keep (daily)"
    )
    keep.add_argument("--org", help="organisation slug (default: every organisation)")
    keep.add_argument("--dry-run", action="store_true", help="only say what would be done")
    keep.add_argument("--now", help="the moment to judge at (ISO 8601 with offset)")
    language(keep)

    box = sub.add_parser("outbox", help="the e-mails written to be sent, and their state")
    box_sub = box.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = box_sub.add_parser("list", help="the outbox rows in a state (uncertain by default)")
    listing.add_argument(
        "--status",
        default="uncertain",
        choices=["pending", "claimed", "sending", "sent", "failed", "uncertain", "cancelled"],
    )
    listing.add_argument("--limit", type=int, default=50)
    resolve = box_sub.add_parser(
        "resolve", help="decide an uncertain e-mail: it did leave (--sent), or send it (--resend)"
    )
    resolve.add_argument("id", type=int)
    verdict = resolve.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--sent", action="store_true", help="it reached the candidate")
    verdict.add_argument("--resend", action="store_true", help="it never left: send it")
    language(box)

    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "inbound" and args.classify:
        # Classifying reads files only: no database, no Django.
        try:
            return cmd_classify(args)
        except InputError as error:
            print(f"relance {args.command}: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.command == "simulate":
        # A throw-away database: nothing a simulation does can touch real data.
        os.environ["DATABASE_URL"] = "sqlite://:memory:"
    try:
        _setup_django()
        if args.command == "manage":
            from django.core.management import execute_from_command_line

            execute_from_command_line(["relance manage", *args.args])
            return 0
        return int(_COMMANDS[args.command](args))
    except (InputError, PolicyError) as error:
        print(f"relance {args.command}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.settings")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _organisation(slug: str | None) -> Any:
    from relance.people.models import Organisation

    lang = default_language()
    if slug:
        try:
            return Organisation.objects.get(slug=slug)
        except Organisation.DoesNotExist:
            raise BadInput(f"--org {slug!r}: no such organisation") from None
    orgs = list(Organisation.objects.order_by("slug")[:10])
    if not orgs:
        raise BadInput(TEXT[lang]["no_org"])
    if len(orgs) > 1:
        raise BadInput(TEXT[lang]["many_orgs"].format(slugs=", ".join(o.slug for o in orgs)))
    return orgs[0]


def _recruiter(org: Any, email: str | None) -> Any:
    if email is None:
        return None
    from relance.people.models import Recruiter

    try:
        return Recruiter.objects.get(organisation=org, email__iexact=email)
    except Recruiter.DoesNotExist:
        known = ", ".join(
            Recruiter.objects.filter(organisation=org).values_list("email", flat=True)
        )
        raise BadInput(f"--recruiter {email!r}: not a recruiter of {org.slug} ({known})") from None


def cmd_agenda(args: argparse.Namespace) -> int:
    now = parse_now(args.now)
    if args.limit < 1:
        raise BadInput(f"--limit {args.limit}: expected a number of rows, 1 or more")
    migrate()
    org = _organisation(args.org)
    recruiter = _recruiter(org, args.recruiter)
    show_agenda(org, recruiter, now, now, args.limit, args.json, args.lang or default_language())
    return 0


def show_agenda(
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
        _console().print(f"[bold red]{TEXT[lang]['alerts']}[/] — {alert_text(alert, lang)}")


def _console() -> Any:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        # Piped or captured: a comfortable width rather than rich's 80 columns.
        console = Console(width=int(os.environ.get("COLUMNS", "140")))
    return console


def _print_agenda(
    rows: list[Any], count: int, now: datetime, org: Any, lang: str, limit: int
) -> None:
    from rich.table import Table

    from relance.engine import calendar
    from relance.engine.reasons import action_label, format_moment, short_moment

    text = TEXT[lang]
    console = _console()
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
        details = " · ".join(x for x in (item.stage, item.job) if x)
        who = f"{item.candidate}{stars}" + (f"\n[dim]{details}[/]" if details else "")
        kind = text["kinds"].get(item.kind, item.kind)
        what = action_label(item.situation, item.step, item.channel, lang)
        recruiter = item.recruiter.split("@")[0]
        table.add_row(
            str(rank), due, who, f"{what}\n[cyan]{kind}[/] [dim]{recruiter}[/]", item.why(lang)
        )
    console.print(table)
    if count > len(rows):
        console.print(
            text["showing"].format(shown=len(rows), count=count, more=min(count, limit * 2))
        )


def cmd_simulate(args: argparse.Namespace) -> int:
    from relance import scenario as scenario_module
    from relance import simulate

    scenario = scenario_module.load(args.scenario)
    migrate()
    result = simulate.run(scenario)
    lang = args.lang or default_language()
    if args.json:
        for line in result.decisions:
            print(json.dumps(line.as_json(), ensure_ascii=False))
        return 0
    _print_timeline(result, lang)
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
    _console().print(table)


def cmd_demo(args: argparse.Namespace) -> int:
    from relance import demo
    from relance.followups import agenda

    now = parse_now(args.now)
    lang = args.lang or default_language()
    text = TEXT[lang]
    console = _console()
    if args.now is None and (moment := demo.working_moment(now)) != now:
        from relance.engine import calendar
        from relance.engine.reasons import format_moment

        local = calendar.local(moment, demo.DEMO_ZONE)
        console.print(text["demo_moment"].format(moment=format_moment(local, lang)))
        now = moment
    with console.status(text["demo_preparing"]):
        migrate()
        org = demo.ensure(now, reset=args.reset)
        from django.conf import settings

        folder = settings.DATA_DIR / "demo-mail"
        cycle, kept = demo.send_due(now, folder)
    stats = demo.stats(org)
    console.print(text["demo_loaded"].format(name=org.name, **stats))
    console.print(
        text["demo_mail"].format(
            sent=cycle.sent, waiting=demo.waiting(org), kept=kept, folder=folder
        )
    )
    show_agenda(org, None, now, agenda.end_of_day(now, org), args.limit, False, lang)
    console.print(
        text["demo_try"].format(email=demo.first_recruiter_email(org), example=demo.EXAMPLE_HINT)
    )
    if args.no_web:
        return 0
    if args.worker_interval <= 0 or not 0 <= args.port < 65536:
        raise BadInput("--worker-interval must be above 0 and --port between 0 and 65535")
    serving = demo.Serving(args.host, args.port, args.worker_interval)
    return demo.serve(org, now, folder, serving, lambda url: console.print(
        text["demo_web"].format(
            url=url, email=demo.first_recruiter_email(org), password=demo.DEMO_PASSWORD
        )
    ))  # fmt: skip


def cmd_web(args: argparse.Namespace) -> int:
    from relance.web import serve

    if args.threads < 1 or not 0 <= args.port < 65536:
        raise BadInput("--threads must be at least 1 and --port between 0 and 65535")
    migrate()
    text = TEXT[args.lang or default_language()]
    srv = serve.server(args.host, args.port, args.threads)
    print(text["web_started"].format(url=serve.address(srv), threads=args.threads), flush=True)
    serve.run(srv)
    print(text["web_stopped"], flush=True)
    return 0


def cmd_inbound(args: argparse.Namespace) -> int:
    """Record the e-mail on standard input, as a mail server's pipe delivers it."""
    from relance.messaging.receive import receive

    raw = sys.stdin.buffer.read()
    if not raw.strip():
        raise BadInput("expected an e-mail on standard input: relance inbound < message.eml")
    now = datetime.now(tz=UTC)
    migrate()
    org = _organisation(args.org)
    received = receive(org, raw, now)
    lang = args.lang or default_language()
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


def cmd_worker(args: argparse.Namespace) -> int:
    import signal

    from relance.worker import Worker

    if args.interval <= 0 or args.batch < 1:
        raise BadInput("--interval must be above 0 seconds and --batch at least 1")
    migrate()
    lang = args.lang or default_language()
    from relance import clock

    if args.now:
        clock.start_at(parse_now(args.now))  # the clock starts there and runs on
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


def cmd_mailbox(args: argparse.Namespace) -> int:
    import getpass

    from relance import crypto
    from relance.messaging.models import Mailbox

    migrate()
    lang = args.lang or default_language()
    text = TEXT[lang]
    if args.action == "list":
        for box in Mailbox.objects.select_related("organisation").order_by("pk"):
            checked = (
                box.last_checked_at.isoformat(timespec="minutes") if box.last_checked_at else "—"
            )
            state = box.last_error or "OK"
            print(f"{box.pk}\t{box.organisation.slug}\t{box}\t{checked}\t{state}")
        return 0
    org = _organisation(args.org)
    recruiter = _recruiter(org, args.recruiter)
    password = os.environ.get("RELANCE_MAILBOX_PASSWORD") or getpass.getpass(text["password"])
    if not password:
        raise BadInput(text["no_password"])
    port = args.port or (993 if args.security == "ssl" else 143)
    box = Mailbox(
        organisation=org, recruiter=recruiter, host=args.host, port=port, username=args.user,
        password_encrypted=crypto.encrypt(password), security=args.security, folder=args.folder,
        sent_folder=args.sent_folder,
    )  # fmt: skip
    if args.check:
        from relance.messaging.mailboxes import connect

        try:
            connect(box).logout()
        except Exception as error:
            raise BadInput(text["mailbox_check_failed"].format(mailbox=box, error=error)) from None
    box.save()
    print(text["mailbox_added"].format(mailbox=box))
    return 0


def cmd_sender(args: argparse.Namespace) -> int:
    import getpass

    from relance import crypto
    from relance.messaging import senders
    from relance.messaging.models import Sender

    migrate()
    text = TEXT[args.lang or default_language()]
    if args.action == "list":
        for one in Sender.objects.select_related("organisation").order_by("pk"):
            server = f"{one.host}:{one.port}" if one.host else text["relay"]
            state = (
                f"paused {one.paused_at.isoformat(timespec='minutes')}: {one.paused_reason}"
                if one.paused_at
                else "OK"
            )
            limits = f"{one.per_minute}/min {one.per_day}/d {one.per_domain_per_minute}/min/domain"
            print(f"{one.pk}\t{one.organisation.slug}\t{one}\t{server}\t{limits}\t{state}")
        return 0
    if args.action == "resume":
        found = Sender.objects.filter(address__iexact=args.address).first()
        if found is None:
            raise BadInput(text["no_sender"].format(address=args.address))
        waiting = senders.resume(found, datetime.now(tz=UTC))
        print(text["sender_resumed"].format(sender=found, waiting=waiting))
        return 0
    org = _organisation(args.org)
    recruiter = _recruiter(org, args.recruiter)
    for name in ("per_minute", "per_day", "per_domain_per_minute"):
        if getattr(args, name) < 0:
            option = "--" + name.replace("_", "-")
            raise BadInput(f"{option} {getattr(args, name)}: expected 0 (no limit) or more")
    password = ""
    if args.user:
        password = os.environ.get("RELANCE_SENDER_PASSWORD") or getpass.getpass(text["password"])
        if not password:
            raise BadInput(text["no_password"])
    port = args.port or {"ssl": 465, "starttls": 587}.get(args.security, 25)
    one = Sender.objects.filter(recruiter=recruiter).first() or Sender(recruiter=recruiter)
    one.organisation = org
    one.address = args.address or recruiter.email
    one.name = recruiter.get_full_name() if args.name is None else args.name
    one.host, one.port, one.security, one.username = args.host, port, args.security, args.user
    one.password_encrypted = crypto.encrypt(password) if password else ""
    one.per_minute, one.per_day = args.per_minute, args.per_day
    one.per_domain_per_minute = args.per_domain_per_minute
    if args.check and one.host:
        try:
            senders.connection_for(one).open()
        except Exception as error:
            raise BadInput(text["sender_check_failed"].format(sender=one, error=error)) from None
    one.save()
    print(text["sender_added"].format(
        sender=one, server=f"{one.host}:{one.port}" if one.host else text["relay"],
        per_minute=one.per_minute, per_day=one.per_day, per_domain=one.per_domain_per_minute,
    ))  # fmt: skip
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    from relance.messaging import outbox
    from relance.messaging.models import OutboxMessage

    migrate()
    text = TEXT[args.lang or default_language()]
    if args.action == "list":
        rows = OutboxMessage.objects.filter(status=args.status).order_by("due_at", "pk")
        for row in rows[: args.limit]:
            print(
                f"{row.pk}\t{row.status}\t{row.due_at.isoformat(timespec='minutes')}\t"
                f"{row.to_address}\t{row.subject}\t{row.last_error}"
            )
        return 0
    try:
        row = OutboxMessage.objects.get(pk=args.id)
    except OutboxMessage.DoesNotExist:
        raise BadInput(text["no_outbox_row"].format(id=args.id)) from None
    if row.status != OutboxMessage.Status.UNCERTAIN:
        raise BadInput(text["not_uncertain"].format(id=args.id, status=row.status))
    outbox.settle(row.pk, "sent" if args.sent else "resend", datetime.now(tz=UTC))
    print(text["settled"].format(id=args.id, status=OutboxMessage.objects.get(pk=row.pk).status))
    return 0


def _candidate(org: Any, args: argparse.Namespace) -> Any:
    from relance.people.models import Candidate

    rows = Candidate.objects.of(org)
    found = (
        rows.filter(pk=args.id) if args.id is not None else rows.filter(email__iexact=args.email)
    )
    people = list(found[:2])
    if len(people) != 1:
        what = f"--id {args.id}" if args.id is not None else f"--email {args.email!r}"
        count = "no candidate" if not people else "several candidates (use --id)"
        raise BadInput(f"{what}: {count} in {org.slug}")
    return people[0]


def cmd_export_candidate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from relance.people import rights

    migrate()
    org = _organisation(args.org)
    person = _candidate(org, args)
    path = Path(args.output or f"candidate-{person.pk}.zip")
    if path.exists():
        raise BadInput(f"--output {path}: the file exists; choose another name")
    data = rights.export(person, _recruiter(org, args.by), datetime.now(tz=UTC))
    path.write_bytes(data)
    text = TEXT[args.lang or default_language()]
    print(text["exported"].format(path=path, size=len(data)))
    return 0


def cmd_erase_candidate(args: argparse.Namespace) -> int:
    from relance.people import rights

    migrate()
    org = _organisation(args.org)
    person = _candidate(org, args)
    text = TEXT[args.lang or default_language()]
    if not args.yes:
        print(text["erase_dry"].format(id=person.pk, name=person.full_name))
        return 0
    removed = rights.erase(person, _recruiter(org, args.by), datetime.now(tz=UTC))
    details = ", ".join(f"{k} {v}" for k, v in removed.items())
    print(text["erased"].format(id=args.id or person.pk, details=details))
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from relance.people import retention
    from relance.people.models import Organisation

    migrate()
    now = parse_now(args.now)
    text = TEXT[args.lang or default_language()]
    orgs = [_organisation(args.org)] if args.org else list(Organisation.objects.order_by("slug"))
    for org in orgs:
        done = retention.run(org, now, dry_run=args.dry_run)
        key = "retention_dry" if args.dry_run else "retention_done"
        print(
            text[key].format(
                org=org.slug, rejected=len(done.rejected), expired=len(done.expired),
                renew=len(done.renew), asked=done.asked,
            )
        )  # fmt: skip
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from pathlib import Path

    from relance.messaging.inbound import classify, why_sentence

    lang = args.lang or default_language()
    today = datetime.now(tz=UTC).date()
    results = []
    for name in args.classify:
        path = Path(name)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise BadInput(f"{name}: cannot read it ({error.strerror})") from None
        results.append((name, classify(raw, today)))
    if args.json:
        for name, result in results:
            print(json.dumps({"file": name, **result.as_json(lang)}, ensure_ascii=False))
        return 0
    from rich.table import Table

    text = TEXT[lang]
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
    _console().print(table)
    return 0


_COMMANDS = {
    "agenda": cmd_agenda,
    "simulate": cmd_simulate,
    "demo": cmd_demo,
    "web": cmd_web,
    "inbound": cmd_inbound,
    "worker": cmd_worker,
    "mailbox": cmd_mailbox,
    "sender": cmd_sender,
    "outbox": cmd_outbox,
    "export-candidate": cmd_export_candidate,
    "erase-candidate": cmd_erase_candidate,
    "retention": cmd_retention,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
