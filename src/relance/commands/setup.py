"""`relance setup`: the organisation and its first administrator, asked for in a terminal
(each question with its default) or given as flags by a script.

Every value goes through the same checks as the web app's first-run page
(people/setup.py); flags with a refused value stop with what was expected for each, exit
code 2, and nothing written. In a terminal, a refused answer is said and asked again.
When an organisation exists, it says so and what to do instead; `--another` creates a
second one on the same installation (an agency hosting a client's team, say).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

PASSWORD_VARIABLE = "RELANCE_ADMIN_PASSWORD"

# Each field of people/setup.py and the flag that gives it.
FLAGS = {
    "name": "--org-name",
    "country": "--country",
    "timezone": "--timezone",
    "language": "--language",
    "legal_name": "--legal-name",
    "address": "--address",
    "privacy_email": "--privacy-email",
    "website": "--website",
    "admin_email": "--admin-email",
    "admin_name": "--admin-name",
    "password": PASSWORD_VARIABLE,
}
# The order the questions come in: the administrator's address before the privacy one,
# which defaults to it.
ASKED = (
    "name", "country", "timezone", "language", "legal_name", "address", "admin_email",
    "admin_name", "privacy_email", "website",
)  # fmt: skip

TEXT = {
    "fr": {
        "colon": " : ",
        "intro": "Création de l'organisation et de son premier administrateur. "
        "Entrée garde la valeur proposée entre crochets.",
        "name": "Nom de l'organisation",
        "country": "Pays (code ISO : FR, BE, CH, CA…)",
        "timezone": "Fuseau horaire",
        "language": "Langue de l'organisation (fr ou en)",
        "legal_name": "Raison sociale (pour la notice d'information des candidats)",
        "address": "Adresse postale (pour la notice d'information)",
        "admin_email": "E-mail de l'administrateur (son identifiant de connexion)",
        "admin_name": "Prénom et nom de l'administrateur",
        "privacy_email": "E-mail où les candidats exercent leurs droits (RGPD)",
        "website": "Site web (facultatif)",
        "password": "Mot de passe de l'administrateur (10 caractères au moins) : ",
        "password_again": "Le même mot de passe, encore : ",
        "differ": "Les deux mots de passe diffèrent : recommencez.",
        "refused": "{flag} : {problem}",
        "no_password": "vide, et rien ne peut être tapé ici (pas de terminal) : donnez le "
        "mot de passe de l'administrateur dans {variable}",
        "exists": "Relance a déjà une organisation ({slugs}). Pour ajouter un recruteur, "
        "invitez-le depuis l'application web (Équipe). Pour créer une autre organisation "
        "sur la même installation, relancez avec --another.",
        "stopped": "Interrompu : rien n'a été créé.",
        "done": "Organisation « {name} » créée (identifiant {slug} ; {country}, {timezone}, "
        "{language}) avec son administrateur {email}.",
        "next": "Ensuite : relance web (puis connectez-vous sur {url}), relance worker pour "
        "l'envoi, relance sender add et relance mailbox add pour l'e-mail — voir "
        "docs/setup.md.",
    },
    "en": {
        "colon": ": ",
        "intro": "Creating the organisation and its first administrator. "
        "Enter keeps the value offered in brackets.",
        "name": "Organisation's name",
        "country": "Country (ISO code: FR, BE, CH, CA…)",
        "timezone": "Time zone",
        "language": "Organisation's language (fr or en)",
        "legal_name": "Legal name (for the candidates' information notice)",
        "address": "Postal address (for the information notice)",
        "admin_email": "Administrator's e-mail (their sign-in)",
        "admin_name": "Administrator's first and last name",
        "privacy_email": "E-mail where candidates exercise their rights (GDPR)",
        "website": "Website (optional)",
        "password": "Administrator's password (10 characters or more): ",
        "password_again": "The same password again: ",
        "differ": "The two passwords differ: try again.",
        "refused": "{flag}: {problem}",
        "no_password": "empty, and nothing can be typed here (no terminal): give the "
        "administrator's password in {variable}",
        "exists": "Relance already has an organisation ({slugs}). To add a recruiter, invite "
        "them from the web app (Team). To create another organisation on the same "
        "installation, run again with --another.",
        "stopped": "Interrupted: nothing was created.",
        "done": "Organisation '{name}' created (short name {slug}; {country}, {timezone}, "
        "{language}) with its administrator {email}.",
        "next": "Next: relance web (then sign in at {url}), relance worker to send, "
        "relance sender add and relance mailbox add for e-mail — see docs/setup.md.",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    setup = sub.add_parser(
        "setup",
        help="create the organisation and its first administrator (asks in a terminal)",
    )
    setup.add_argument("--org-name", dest="name", help="the organisation's name")
    setup.add_argument("--country", help="ISO code of its country: FR, BE, CH, CA… (FR)")
    setup.add_argument("--timezone", help="IANA time zone (the country's main one)")
    setup.add_argument("--language", help="fr or en (the language of what is printed)")
    setup.add_argument("--legal-name", help="legal name for the information notice (the name)")
    setup.add_argument("--address", help="postal address for the information notice")
    setup.add_argument(
        "--privacy-email", help="where candidates exercise their rights (the admin's e-mail)"
    )
    setup.add_argument("--website", help="the organisation's website (optional)")
    setup.add_argument("--admin-email", help="the first administrator's e-mail (sign-in)")
    setup.add_argument("--admin-name", help="the first administrator's first and last name")
    setup.add_argument(
        "--another",
        action="store_true",
        help="create another organisation when one exists already",
    )
    common.add_language(setup)
    setup.set_defaults(run=run_setup)


def run_setup(args: argparse.Namespace) -> int:
    from django.utils import translation

    from relance.people import setup

    lang = common.language_of(args)
    text = TEXT[lang]
    common.migrate()
    with translation.override(lang):
        _refuse_when_set_up(args.another, text)
        raw: dict[str, str | None] = {field: getattr(args, field) for field in ASKED}
        raw["password"] = os.environ.get(PASSWORD_VARIABLE) or None
        interactive = sys.stdin.isatty()
        try:
            if interactive:
                values = _ask_all(raw, lang, text, input, getpass.getpass)
            else:
                raw["language"] = raw["language"] or lang
                values = _read_flags(raw, text)
            org, admin = setup.create(
                values, datetime.now(tz=UTC), another=args.another, door="command"
            )
        except setup.SetupRefused as refused:
            raise common.BadInput(_problems(refused.errors, text)) from None
        except setup.AlreadySetUp as already:
            raise common.BadInput(text["exists"].format(slugs=", ".join(already.slugs))) from None
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            raise common.BadInput(text["stopped"]) from None
    print(
        text["done"].format(
            name=org.name, slug=org.slug, country=org.country, timezone=org.timezone,
            language=org.language, email=admin.email,
        )
    )  # fmt: skip
    print(text["next"].format(url="http://127.0.0.1:8000/login/"))
    return 0


def _refuse_when_set_up(another: bool, text: dict[str, str]) -> None:
    """Before any question: an organisation exists and a second one was not asked for."""
    from relance.people.models import Organisation

    if another:
        return
    slugs = list(Organisation.objects.order_by("slug").values_list("slug", flat=True)[:5])
    if slugs:
        raise common.BadInput(text["exists"].format(slugs=", ".join(slugs)))


def _read_flags(raw: dict[str, str | None], text: dict[str, str]) -> Any:
    """The flags' values checked, every refused one said at once (the password's absence
    among them: nothing can be typed without a terminal)."""
    from relance.people import setup

    try:
        values = setup.read(raw)
    except setup.SetupRefused as refused:
        errors = refused.errors
    else:
        if raw["password"] is not None:
            return values
        errors = {}
    if raw["password"] is None:
        errors["password"] = text["no_password"].format(variable=PASSWORD_VARIABLE)
    raise setup.SetupRefused(errors)


def _problems(errors: dict[str, str], text: dict[str, str]) -> str:
    return "\n".join(
        text["refused"].format(flag=FLAGS.get(field, field), problem=problem)
        for field, problem in errors.items()
    )


def _ask_all(
    raw: dict[str, str | None],
    lang: str,
    text: dict[str, str],
    ask: Callable[[str], str],
    secret: Callable[[str], str],
) -> Any:
    """Ask for each value a flag did not give (with its default), then the password
    (twice, hidden) unless RELANCE_ADMIN_PASSWORD holds it; a refused value is said and
    asked again, until every value passes."""
    from relance.people import setup

    print(text["intro"])
    given = {field for field, value in raw.items() if value}
    for field in ASKED:
        if field not in given:
            raw[field] = _question(field, raw, lang, text, ask)
    if raw["password"] is None:
        raw["password"] = _password(text, secret)
    while True:
        try:
            return setup.read(raw)
        except setup.SetupRefused as refused:
            print(_problems(refused.errors, text), file=sys.stderr)
            for field in refused.errors:
                if field == "password":
                    raw["password"] = _password(text, secret)
                else:
                    raw[field] = None  # a refused value is not offered again
                    raw[field] = _question(field, raw, lang, text, ask)


def _question(
    field: str,
    raw: dict[str, str | None],
    lang: str,
    text: dict[str, str],
    ask: Callable[[str], str],
) -> str:
    from relance.people import setup

    default = {
        "country": "FR",
        "language": lang,
        "timezone": setup.default_timezone(raw.get("country") or "FR"),
        "legal_name": raw.get("name") or "",
        "privacy_email": raw.get("admin_email") or "",
    }.get(field, raw.get(field) or "")
    prompt = f"{text[field]} [{default}]" if default else text[field]
    answer = ask(prompt + text["colon"]).strip()
    return answer or default


def _password(text: dict[str, str], secret: Callable[[str], str]) -> str:
    while True:
        first = secret(text["password"])
        if secret(text["password_again"]) == first:
            return first
        print(text["differ"], file=sys.stderr)
