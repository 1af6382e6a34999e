"""`relance export-candidate`, `relance erase-candidate`, `relance retention`: a person's
rights (access, erasure) and the daily retention job."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "retention_dry": "{org} : {rejected} candidat(s) refusé(s) sans consentement depuis "
        "plus de 3 mois et {expired} sans contact depuis 2 ans seraient anonymisés ; "
        "{renew} membre(s) du vivier à qui demander de renouveler. (--dry-run : rien "
        "n'est changé)",
        "retention_done": "{org} : {rejected} candidat(s) refusé(s) et {expired} sans "
        "contact depuis 2 ans anonymisés ; {renew} membre(s) du vivier à qui demander de "
        "renouveler ({asked} e-mail(s) de renouvellement écrit(s) aujourd'hui).",
        "exported": "Export écrit dans {path} ({size} octets). L'accès est noté au journal.",
        "exists": "--output {path} : le fichier existe ; choisissez un autre nom",
        "unwritable": "--output {path} : impossible de l'écrire ({error})",
        "erase_dry": "Le candidat n° {id} ({name}) serait effacé de toutes les tables. "
        "Ajoutez --yes pour le faire.",
        "erased": "Candidat n° {id} effacé ({details}). Seule une empreinte de ses "
        "coordonnées reste, pour ne plus jamais le contacter par erreur.",
    },
    "en": {
        "retention_dry": "{org}: {rejected} rejected candidate(s) without consent for over "
        "3 months and {expired} with no contact for 2 years would be anonymised; {renew} "
        "talent-pool member(s) to ask to renew. (--dry-run: nothing changed)",
        "retention_done": "{org}: {rejected} rejected candidate(s) and {expired} with no "
        "contact for 2 years anonymised; {renew} talent-pool member(s) to ask to renew "
        "({asked} renewal e-mail(s) written today).",
        "exported": "Export written to {path} ({size} bytes). The access is in the audit log.",
        "exists": "--output {path}: the file exists; choose another name",
        "unwritable": "--output {path}: cannot write it ({error})",
        "erase_dry": "Candidate #{id} ({name}) would be erased from every table. "
        "Add --yes to do it.",
        "erased": "Candidate #{id} erased ({details}). Only a digest of their details "
        "remains, so they are never contacted again by mistake.",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    export = sub.add_parser(
        "export-candidate", help="everything held about a person, as a zip (an access request)"
    )
    erase = sub.add_parser(
        "erase-candidate", help="erase a person from every table, on their request"
    )
    for one in (export, erase):
        one.add_argument("--org", help="organisation slug (needed when there are several)")
        who = one.add_mutually_exclusive_group(required=True)
        who.add_argument("--id", type=kinds.identifier, help="the candidate's id")
        who.add_argument("--email", help="the candidate's e-mail address")
        one.add_argument("--by", metavar="EMAIL", help="the recruiter who does it (audit log)")
        common.add_language(one)
    export.add_argument(
        "--output", type=kinds.new_file, help="the zip file to write (default: candidate-ID.zip)"
    )
    erase.add_argument("--yes", action="store_true", help="do it (without it: only say what)")
    export.set_defaults(run=run_export)
    erase.set_defaults(run=run_erase)

    keep = sub.add_parser(
        "retention", help="anonymise whom the retention rules no longer allow to keep (daily)"
    )
    keep.add_argument("--org", help="organisation slug (default: every organisation)")
    keep.add_argument("--dry-run", action="store_true", help="only say what would be done")
    keep.add_argument(
        "--now", type=kinds.instant, help="the moment to judge at (ISO 8601 with offset)"
    )
    common.add_language(keep)
    keep.set_defaults(run=run_retention)


def run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from relance.people import rights

    common.migrate()
    lang = common.language_of(args)
    org = common.organisation(args.org, lang)
    person = common.candidate(org, args, lang)
    path = Path(args.output or f"candidate-{person.pk}.zip")
    if path.exists():
        raise common.BadInput(TEXT[lang]["exists"].format(path=path))
    data = rights.export(person, common.recruiter(org, args.by, lang), datetime.now(tz=UTC))
    try:
        with path.open("xb") as out:  # never overwrites a file that appeared meanwhile
            out.write(data)
    except OSError as error:
        raise common.BadInput(
            TEXT[lang]["unwritable"].format(path=path, error=error.strerror)
        ) from None
    print(TEXT[lang]["exported"].format(path=path, size=len(data)))
    return 0


def run_erase(args: argparse.Namespace) -> int:
    from relance.people import rights

    common.migrate()
    lang = common.language_of(args)
    org = common.organisation(args.org, lang)
    person = common.candidate(org, args, lang)
    text = TEXT[lang]
    if not args.yes:
        print(text["erase_dry"].format(id=person.pk, name=person.full_name))
        return 0
    removed = rights.erase(person, common.recruiter(org, args.by, lang), datetime.now(tz=UTC))
    details = ", ".join(f"{k} {v}" for k, v in removed.items())
    print(text["erased"].format(id=args.id or person.pk, details=details))
    return 0


def run_retention(args: argparse.Namespace) -> int:
    from relance.people import retention
    from relance.people.models import Organisation

    common.migrate()
    now = args.now or datetime.now(tz=UTC)
    lang = common.language_of(args)
    text = TEXT[lang]
    orgs = (
        [common.organisation(args.org, lang)]
        if args.org
        else list(Organisation.objects.order_by("slug"))
    )
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
