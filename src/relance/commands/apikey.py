"""`relance apikey create|list|revoke`: an organisation's REST API keys, for scripts
(the settings page does the same for an administrator). The token is printed once, by
`create`; only its digest is kept."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "created": "Clé « {name} » créée (portée {scope}, préfixe {prefix}). Notez-la "
        "maintenant, elle ne sera plus jamais affichée :",
        "none": "Aucune clé d'API dans {org}.",
        "row": "{prefix}  {name}  portée {scope}  créée le {created}{by}  {state}",
        "by": " par {email}",
        "live": "active, dernier usage : {used}",
        "never": "jamais",
        "revoked_state": "révoquée le {at}",
        "revoked": "Clé {prefix} révoquée : ses prochaines requêtes sont refusées.",
        "already": "Clé {prefix} : déjà révoquée le {at}.",
        "no_key": "--prefix {prefix!r} : aucune clé de ce préfixe dans {org}",
    },
    "en": {
        "created": "Key “{name}” created (scope {scope}, prefix {prefix}). Write it down "
        "now, it will never be shown again:",
        "none": "No API key in {org}.",
        "row": "{prefix}  {name}  scope {scope}  created {created}{by}  {state}",
        "by": " by {email}",
        "live": "live, last used: {used}",
        "never": "never",
        "revoked_state": "revoked {at}",
        "revoked": "Key {prefix} revoked: its next requests are refused.",
        "already": "Key {prefix}: already revoked {at}.",
        "no_key": "--prefix {prefix!r}: no key with this prefix in {org}",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    key = sub.add_parser("apikey", help="the organisation's REST API keys")
    actions = key.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="a new key; its token is printed once")
    create.add_argument("--name", required=True, help="what it is for, e.g. “our ATS”")
    create.add_argument(
        "--scope", choices=["read", "write"], default="read", help="read, or read and write"
    )
    create.add_argument("--by", metavar="EMAIL", help="the recruiter who answers for it (audit)")
    listing = actions.add_parser("list", help="the keys, live and revoked")
    revoke = actions.add_parser("revoke", help="refuse a key's requests from now on")
    revoke.add_argument("--prefix", required=True, help="the key's prefix, as listed")
    revoke.add_argument("--by", metavar="EMAIL", help="the recruiter who revokes it (audit)")
    for one, run in ((create, run_create), (listing, run_list), (revoke, run_revoke)):
        one.add_argument("--org", help="organisation slug (needed when there are several)")
        common.add_language(one)
        one.set_defaults(run=run)


def run_create(args: argparse.Namespace) -> int:
    from relance.api import keys

    common.migrate()
    lang = common.language_of(args)
    org = common.organisation(args.org, lang)
    actor = common.recruiter(org, args.by, lang)
    try:
        key, token = keys.create(org, args.name, args.scope, actor, datetime.now(tz=UTC))
    except ValueError as problem:
        raise common.BadInput(f"--name: {problem}") from None
    print(TEXT[lang]["created"].format(name=key.name, scope=key.scope, prefix=key.prefix))
    print(token)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from relance.api import keys

    common.migrate()
    lang = common.language_of(args)
    text = TEXT[lang]
    org = common.organisation(args.org, lang)
    found = keys.of(org)
    if not found:
        print(text["none"].format(org=org.slug))
    for key in found:
        if key.revoked_at is not None:
            state = text["revoked_state"].format(at=key.revoked_at.isoformat(timespec="seconds"))
        else:
            used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else None
            state = text["live"].format(used=used or text["never"])
        by = text["by"].format(email=key.created_by.email) if key.created_by else ""
        print(
            text["row"].format(
                prefix=key.prefix, name=key.name, scope=key.scope, by=by, state=state,
                created=key.created_at.isoformat(timespec="seconds"),
            )
        )  # fmt: skip
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from relance.api import keys
    from relance.api.models import ApiKey

    common.migrate()
    lang = common.language_of(args)
    text = TEXT[lang]
    org = common.organisation(args.org, lang)
    key = ApiKey.objects.filter(organisation=org, prefix=args.prefix).first()
    if key is None:
        raise common.BadInput(text["no_key"].format(prefix=args.prefix, org=org.slug))
    actor = common.recruiter(org, args.by, lang)
    if not keys.revoke(key, actor, datetime.now(tz=UTC)):
        print(text["already"].format(prefix=key.prefix, at=key.revoked_at.isoformat()))
        return 0
    print(text["revoked"].format(prefix=key.prefix))
    return 0
