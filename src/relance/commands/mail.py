"""`relance mailbox`, `relance sender`, `relance outbox`: the mailboxes the worker reads,
the identities it sends under, and the e-mails it wrote."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "password": "Mot de passe de la boîte : ",
        "no_password": "un mot de passe est nécessaire (RELANCE_MAILBOX_PASSWORD ou saisi)",
        "no_sender_password": "un mot de passe est nécessaire (RELANCE_SENDER_PASSWORD ou saisi)",
        "mailbox_added": "Boîte ajoutée : {mailbox}. Le worker la lira à chaque cycle.",
        "mailbox_check_failed": "connexion à {mailbox} impossible : {error}",
        "sender_added": "Identité d'envoi enregistrée : {sender} ({server}) ; limites : "
        "{per_minute}/min, {per_day}/jour, {per_domain}/min par domaine (0 : aucune).",
        "relay": "relais de l'installation",
        "sender_resumed": "Envois repris depuis {sender} : {waiting} e-mail(s) en attente "
        "partent au prochain cycle.",
        "no_sender": "aucune identité d'envoi pour {address}",
        "sender_check_failed": "connexion au serveur SMTP de {sender} impossible : {error}",
        "no_outbox_row": "aucun e-mail n° {id} dans la boîte d'envoi",
        "not_uncertain": "l'e-mail n° {id} n'est pas incertain (état : {status})",
        "settled": "E-mail n° {id} : {status}.",
    },
    "en": {
        "password": "Mailbox password: ",
        "no_password": "a password is needed (RELANCE_MAILBOX_PASSWORD, or typed in)",
        "no_sender_password": "a password is needed (RELANCE_SENDER_PASSWORD, or typed in)",
        "mailbox_added": "Mailbox added: {mailbox}. The worker reads it every cycle.",
        "mailbox_check_failed": "cannot log in to {mailbox}: {error}",
        "sender_added": "Sending identity saved: {sender} ({server}); limits: "
        "{per_minute}/min, {per_day}/day, {per_domain}/min per domain (0: none).",
        "relay": "the installation's relay",
        "sender_resumed": "Sending resumed from {sender}: {waiting} waiting e-mail(s) leave "
        "at the next cycle.",
        "no_sender": "no sending identity for {address}",
        "sender_check_failed": "cannot connect to {sender}'s SMTP server: {error}",
        "no_outbox_row": "no e-mail number {id} in the outbox",
        "not_uncertain": "e-mail number {id} is not uncertain (it is {status})",
        "settled": "E-mail number {id}: {status}.",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    mailbox = sub.add_parser("mailbox", help="the IMAP mailboxes the worker reads replies from")
    mailbox_sub = mailbox.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = mailbox_sub.add_parser(
        "add", help="add a mailbox (password from RELANCE_MAILBOX_PASSWORD, or asked)"
    )
    add.add_argument("--org", help="organisation slug (needed when there are several)")
    add.add_argument("--recruiter", metavar="EMAIL", help="the recruiter whose mailbox it is")
    add.add_argument("--host", required=True)
    add.add_argument("--port", type=kinds.port, help="993 with ssl, else 143")
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
    common.add_language(mailbox)
    mailbox.set_defaults(run=run_mailbox)

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
    add.add_argument("--port", type=kinds.port, help="587 with starttls, 465 with ssl, else 25")
    add.add_argument("--user", default="", help="SMTP login")
    add.add_argument("--security", choices=["starttls", "ssl", "none"], default="starttls")
    add.add_argument(
        "--per-minute", type=kinds.limit, default=20, help="at most this many a minute (20)"
    )
    add.add_argument(
        "--per-day",
        type=kinds.limit,
        default=100,
        help="at most this many a day (100: a new mailbox)",
    )
    add.add_argument(
        "--per-domain-per-minute",
        type=kinds.limit,
        default=10,
        help="at most this many a minute to one recipient domain (10)",
    )
    add.add_argument("--check", action="store_true", help="connect (and log in) once to check")
    sender_sub.add_parser("list", help="the sending identities, their limits, paused or not")
    resume = sender_sub.add_parser("resume", help="lift a pause after a policy refusal")
    resume.add_argument("address", help="the sender's address")
    common.add_language(sender)
    sender.set_defaults(run=run_sender)

    box = sub.add_parser("outbox", help="the e-mails written to be sent, and their state")
    box_sub = box.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = box_sub.add_parser("list", help="the outbox rows in a state (uncertain by default)")
    listing.add_argument(
        "--status",
        default="uncertain",
        choices=["pending", "claimed", "sending", "sent", "failed", "uncertain", "cancelled"],
    )
    listing.add_argument("--limit", type=kinds.count(), default=50)
    resolve = box_sub.add_parser(
        "resolve", help="decide an uncertain e-mail: it did leave (--sent), or send it (--resend)"
    )
    resolve.add_argument("id", type=kinds.identifier)
    verdict = resolve.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--sent", action="store_true", help="it reached the candidate")
    verdict.add_argument("--resend", action="store_true", help="it never left: send it")
    common.add_language(box)
    box.set_defaults(run=run_outbox)


def run_mailbox(args: argparse.Namespace) -> int:
    import getpass

    from relance import crypto
    from relance.messaging.models import Mailbox

    common.migrate()
    lang = common.language_of(args)
    text = TEXT[lang]
    if args.action == "list":
        for box in Mailbox.objects.select_related("organisation").order_by("pk"):
            checked = (
                box.last_checked_at.isoformat(timespec="minutes") if box.last_checked_at else "—"
            )
            state = box.last_error or "OK"
            print(f"{box.pk}\t{box.organisation.slug}\t{box}\t{checked}\t{state}")
        return 0
    org = common.organisation(args.org, lang)
    recruiter = common.recruiter(org, args.recruiter, lang)
    password = os.environ.get("RELANCE_MAILBOX_PASSWORD") or getpass.getpass(text["password"])
    if not password:
        raise common.BadInput(text["no_password"])
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
            raise common.BadInput(
                text["mailbox_check_failed"].format(mailbox=box, error=error)
            ) from None
    box.save()
    print(text["mailbox_added"].format(mailbox=box))
    return 0


def run_sender(args: argparse.Namespace) -> int:
    import getpass

    from relance import crypto
    from relance.messaging import senders
    from relance.messaging.models import Sender

    common.migrate()
    lang = common.language_of(args)
    text = TEXT[lang]
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
            raise common.BadInput(text["no_sender"].format(address=args.address))
        waiting = senders.resume(found, datetime.now(tz=UTC))
        print(text["sender_resumed"].format(sender=found, waiting=waiting))
        return 0
    org = common.organisation(args.org, lang)
    recruiter = common.recruiter(org, args.recruiter, lang)
    password = ""
    if args.user:
        password = os.environ.get("RELANCE_SENDER_PASSWORD") or getpass.getpass(text["password"])
        if not password:
            raise common.BadInput(text["no_sender_password"])
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
            raise common.BadInput(
                text["sender_check_failed"].format(sender=one, error=error)
            ) from None
    one.save()
    print(text["sender_added"].format(
        sender=one, server=f"{one.host}:{one.port}" if one.host else text["relay"],
        per_minute=one.per_minute, per_day=one.per_day, per_domain=one.per_domain_per_minute,
    ))  # fmt: skip
    return 0


def run_outbox(args: argparse.Namespace) -> int:
    from relance.messaging import outbox
    from relance.messaging.models import OutboxMessage

    common.migrate()
    text = TEXT[common.language_of(args)]
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
        raise common.BadInput(text["no_outbox_row"].format(id=args.id)) from None
    if row.status != OutboxMessage.Status.UNCERTAIN:
        raise common.BadInput(text["not_uncertain"].format(id=args.id, status=row.status))
    outbox.settle(row.pk, "sent" if args.sent else "resend", datetime.now(tz=UTC))
    print(text["settled"].format(id=args.id, status=OutboxMessage.objects.get(pk=row.pk).status))
    return 0
