"""`relance demo` and `relance web`: the demo agency, and serving the web app."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from relance.commands import agenda, common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
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
        "demo_port_moved": "Le port {busy} est déjà pris (un autre programme, ou une démo "
        "précédente encore lancée) : la démo prend le port {port}.",
        "web_started": "Relance sert l'application web sur {url} ({threads} fils). "
        "Ctrl-C pour arrêter.",
        "web_stopped": "Application web arrêtée.",
        "first_run": "Aucune organisation encore. Pour créer la première, ouvrez ce lien "
        "(valable {minutes} minutes, une seule fois ; seul qui voit cette console l'a ; "
        "derrière un proxy, le même chemin à l'adresse publique) : {url}\n"
        "Ou, dans une console : relance setup",
        "busy": "le port {port} de {host} est déjà pris (un autre programme, ou une démo ou "
        "une application web Relance encore lancée) : arrêtez-le, ou choisissez un autre "
        "port avec --port (0 : un port libre)",
        "denied": "impossible d'écouter sur {host}:{port} ({detail}) : les ports sous 1024 "
        "demandent des droits d'administrateur ; choisissez-en un autre avec --port",
        "other": "impossible d'écouter sur {host}:{port} ({detail}) : vérifiez --host et --port",
        "https_without_proxy": "ATTENTION : RELANCE_HTTPS est activé mais "
        "RELANCE_TRUSTED_PROXY est vide : l'en-tête X-Forwarded-Proto du proxy TLS est "
        "ignoré, et chaque page redirigerait vers https:// sans fin. Donnez à "
        "RELANCE_TRUSTED_PROXY l'adresse du proxy (voir docs/web.md).",
    },
    "en": {
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
        "demo_port_moved": "Port {busy} is already in use (another program, or an earlier "
        "demo still running): the demo takes port {port} instead.",
        "web_started": "Relance serves the web app at {url} ({threads} threads). Ctrl-C stops.",
        "web_stopped": "Web app stopped.",
        "first_run": "No organisation yet. To create the first one, open this link (valid "
        "{minutes} minutes, once; only whoever sees this console has it; behind a proxy, "
        "the same path at the public address): {url}\nOr, in a console: relance setup",
        "busy": "port {port} on {host} is already in use (another program, or a Relance demo "
        "or web app still running): stop it, or choose another port with --port (0: any "
        "free port)",
        "denied": "cannot listen on {host}:{port} ({detail}): ports below 1024 need "
        "administrator rights; choose another one with --port",
        "other": "cannot listen on {host}:{port} ({detail}): check --host and --port",
        "https_without_proxy": "WARNING: RELANCE_HTTPS is on but RELANCE_TRUSTED_PROXY is "
        "empty: the TLS proxy's X-Forwarded-Proto header is ignored, and every page would "
        "redirect to https:// forever. Set RELANCE_TRUSTED_PROXY to the proxy's address "
        "(see docs/web.md).",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    demo = sub.add_parser("demo", help="create the database, load a demo organisation, show today")
    demo.add_argument(
        "--now", type=kinds.instant, help="pretend it is this moment (ISO 8601 with offset)"
    )
    demo.add_argument(
        "--reset", action="store_true", help="delete the demo organisation and reload it"
    )
    demo.add_argument(
        "--limit", type=kinds.count(), default=20, help="rows of the agenda to show (20)"
    )
    demo.add_argument(
        "--no-web", action="store_true", help="only print the agenda; do not start the web app"
    )
    demo.add_argument("--host", default="127.0.0.1", help="the web app's address (127.0.0.1)")
    demo.add_argument(
        "--worker-interval",
        type=kinds.seconds,
        default=5.0,
        help="seconds between the background worker's cycles (5)",
    )
    demo.add_argument(
        "--port",
        type=kinds.listening_port,
        default=None,
        help="the web app's port (8000, or the next free one when it is busy; 0: any)",
    )
    common.add_language(demo)
    demo.set_defaults(run=run_demo)

    web = sub.add_parser("web", help="serve the web app (waitress; Ctrl-C or SIGTERM stops)")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    web.add_argument(
        "--port", type=kinds.listening_port, default=8000, help="port (8000; 0: any free port)"
    )
    web.add_argument(
        "--threads", type=kinds.count(maximum=1000), default=8, help="request threads (8)"
    )
    common.add_language(web)
    web.set_defaults(run=run_web)


def cannot_listen(error: Any, lang: str) -> common.BadInput:
    return common.BadInput(
        TEXT[lang][error.reason].format(host=error.host, port=error.port, detail=error.detail)
    )


def run_demo(args: argparse.Namespace) -> int:
    from relance import demo
    from relance.followups import agenda as agenda_service
    from relance.web import serve

    lang = common.language_of(args)
    text = TEXT[lang]
    now = args.now or datetime.now(tz=UTC)
    console = common.console()
    srv = None
    if not args.no_web:
        # Bound first: a port that cannot be served stops the demo before it loads anything,
        # and the e-mails the first worker cycle sends link to the port really served.
        try:
            srv, busy = demo.listen(args.host, args.port)
        except serve.CannotListen as error:
            raise cannot_listen(error, lang) from None
        if busy is not None:
            console.print(text["demo_port_moved"].format(busy=busy, port=srv.effective_port))
        demo.link_to(args.host, int(srv.effective_port))
    elif args.port:
        demo.link_to(args.host, args.port)
    if args.now is None and (moment := demo.working_moment(now)) != now:
        from relance.engine import calendar
        from relance.engine.reasons import format_moment

        local = calendar.local(moment, demo.DEMO_ZONE)
        console.print(text["demo_moment"].format(moment=format_moment(local, lang)))
        now = moment
    with console.status(text["demo_preparing"]):
        common.migrate()
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
    until = agenda_service.end_of_day(now, org)
    agenda.show(org, None, now, until, args.limit, False, lang)
    console.print(
        text["demo_try"].format(email=demo.first_recruiter_email(org), example=demo.EXAMPLE_HINT)
    )
    if srv is None:
        return 0
    return demo.serve(org, now, folder, srv, args.worker_interval, lambda url: console.print(
        text["demo_web"].format(
            url=url, email=demo.first_recruiter_email(org), password=demo.DEMO_PASSWORD
        )
    ))  # fmt: skip


def https_warning(lang: str) -> str | None:
    from django.conf import settings

    if settings.HTTPS and not settings.RELANCE_TRUSTED_PROXY:
        return str(TEXT[lang]["https_without_proxy"])
    return None


def first_run_link(srv: Any, text: dict[str, str]) -> None:
    """While no organisation exists, the one-time link to the first-run page: printed here
    only, so that only someone who has this console can create the first organisation."""
    from relance import clock
    from relance.people import setup
    from relance.web import serve

    token = setup.issue_token(clock.now())
    if token is not None:
        minutes = int(setup.TOKEN_LIFETIME.total_seconds() // 60)
        url = f"{serve.address(srv)}setup/{token}/"
        print(text["first_run"].format(url=url, minutes=minutes), flush=True)


def run_web(args: argparse.Namespace) -> int:
    from relance.web import serve

    lang = common.language_of(args)
    text = TEXT[lang]
    common.migrate()
    try:
        srv = serve.server(args.host, args.port, args.threads)
    except serve.CannotListen as error:
        raise cannot_listen(error, lang) from None
    warning = https_warning(lang)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(text["web_started"].format(url=serve.address(srv), threads=args.threads), flush=True)
    first_run_link(srv, text)
    serve.run(srv)
    print(text["web_stopped"], flush=True)
    return 0
