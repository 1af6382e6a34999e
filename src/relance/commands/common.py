"""What every command shares: the language of what it prints, bad input, Django, and how
an organisation or a recruiter named on the command line is found."""

from __future__ import annotations

import argparse
import os
from typing import Any

from relance import config
from relance.errors import InputError

EXIT_BAD_INPUT = 2

TEXT = {
    "fr": {
        "no_org": "Aucune organisation dans la base. Lancez d'abord : relance setup "
        "(ou relance demo pour essayer)",
        "many_orgs": "Plusieurs organisations ({slugs}) : précisez --org SLUG",
        "no_such_org": "--org {slug!r} : aucune organisation de ce nom",
        "not_a_recruiter": "--recruiter {email!r} : pas un recruteur de {org} ({known})",
        "no_candidate": "{what} : aucun candidat dans {org}",
        "several_candidates": "{what} : plusieurs candidats dans {org} (utilisez --id)",
    },
    "en": {
        "no_org": "No organisation in the database yet. Run first: relance setup "
        "(or relance demo to try it)",
        "many_orgs": "Several organisations ({slugs}): choose one with --org SLUG",
        "no_such_org": "--org {slug!r}: no such organisation",
        "not_a_recruiter": "--recruiter {email!r}: not a recruiter of {org} ({known})",
        "no_candidate": "{what}: no candidate in {org}",
        "several_candidates": "{what}: several candidates in {org} (use --id)",
    },
}


class BadInput(InputError):
    pass


def default_language() -> str:
    """RELANCE_LANGUAGE (fr or en; anything else is refused), else from LANG."""
    return config.language()


def language_of(args: argparse.Namespace) -> str:
    return getattr(args, "lang", None) or default_language()


def add_language(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        choices=["fr", "en"],
        default=None,
        help="language of what is printed (default: RELANCE_LANGUAGE, else from LANG)",
    )


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.settings")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    from relance import dbstats

    call_command("migrate", verbosity=0, interactive=False)
    dbstats.refresh_stale()  # SQLite: an index a migration added has no statistics yet


def organisation(slug: str | None, lang: str) -> Any:
    from relance.people.models import Organisation

    text = TEXT[lang]
    if slug:
        try:
            return Organisation.objects.get(slug=slug)
        except Organisation.DoesNotExist:
            raise BadInput(text["no_such_org"].format(slug=slug)) from None
    orgs = list(Organisation.objects.order_by("slug")[:10])
    if not orgs:
        raise BadInput(text["no_org"])
    if len(orgs) > 1:
        raise BadInput(text["many_orgs"].format(slugs=", ".join(o.slug for o in orgs)))
    return orgs[0]


def recruiter(org: Any, email: str | None, lang: str) -> Any:
    if email is None:
        return None
    from relance.people.models import Recruiter

    try:
        return Recruiter.objects.get(organisation=org, email__iexact=email)
    except Recruiter.DoesNotExist:
        known = ", ".join(
            Recruiter.objects.filter(organisation=org).values_list("email", flat=True)
        )
        raise BadInput(
            TEXT[lang]["not_a_recruiter"].format(email=email, org=org.slug, known=known)
        ) from None


def candidate(org: Any, args: argparse.Namespace, lang: str) -> Any:
    from relance.people.models import Candidate

    rows = Candidate.objects.of(org)
    found = (
        rows.filter(pk=args.id) if args.id is not None else rows.filter(email__iexact=args.email)
    )
    people = list(found[:2])
    if len(people) != 1:
        what = f"--id {args.id}" if args.id is not None else f"--email {args.email!r}"
        key = "no_candidate" if not people else "several_candidates"
        raise BadInput(TEXT[lang][key].format(what=what, org=org.slug))
    return people[0]


def console() -> Any:
    from rich.console import Console

    out = Console()
    if not out.is_terminal:
        # Piped or captured: a comfortable width rather than rich's 80 columns.
        out = Console(width=int(os.environ.get("COLUMNS", "140")))
    return out
