"""`relance export`: the organisation's candidates (all, a segment, a pool) to a CSV or XLSX
file with the columns chosen (people/export.py). Streamed; in the audit log."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "done": "{count} candidat(s) exporté(s) dans {path} ({kind}, colonnes : {columns}). "
        "L'export est noté au journal.",
        "exists": "--output {path} : le fichier existe ; choisissez un autre nom",
        "unwritable": "--output {path} : impossible de l'écrire ({error})",
        "no_segment": "--segment {id} : aucun segment de ce numéro dans {org}",
        "no_pool": "--pool {id} : aucun vivier de ce numéro dans {org}",
    },
    "en": {
        "done": "{count} candidate(s) exported to {path} ({kind}, columns: {columns}). "
        "The export is in the audit log.",
        "exists": "--output {path}: the file exists; choose another name",
        "unwritable": "--output {path}: cannot write it ({error})",
        "no_segment": "--segment {id}: no such segment in {org}",
        "no_pool": "--pool {id}: no such pool in {org}",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    one = sub.add_parser("export", help="candidates to a CSV or XLSX file (columns chosen)")
    one.add_argument("--org", help="organisation slug (needed when there are several)")
    which = one.add_mutually_exclusive_group()
    which.add_argument("--segment", type=kinds.identifier, help="a saved segment's id")
    which.add_argument("--pool", type=kinds.identifier, help="a talent pool's id")
    one.add_argument(
        "--columns",
        help="columns, comma-separated (default: id, names, contact details, location, "
        "desired role, source, stars, tags, last contact)",
    )
    one.add_argument(
        "--format", choices=["csv", "xlsx"], help="default: from --output's extension, else csv"
    )
    one.add_argument("--output", required=True, help="the file to write (never overwritten)")
    one.add_argument("--by", metavar="EMAIL", help="the recruiter who does it (audit log)")
    common.add_language(one)
    one.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    from django.utils import translation

    from relance.people import export
    from relance.people.models import Candidate
    from relance.pools import segments
    from relance.pools.models import Pool, Segment

    common.migrate()
    lang = common.language_of(args)
    text = TEXT[lang]
    org = common.organisation(args.org, lang)
    now = datetime.now(tz=UTC)
    path = Path(args.output)
    with translation.override(lang):
        kind = export.format_from(args.format or path.suffix or "csv")
        columns = export.columns_from(args.columns)
        actor = common.recruiter(org, args.by, lang)
        if args.segment is not None:
            segment = Segment.objects.filter(organisation=org, pk=args.segment).first()
            if segment is None:
                raise common.BadInput(text["no_segment"].format(id=args.segment, org=org.slug))
            people = segments.evaluate(org, segment.definition, now)
            what = f"segment {segment.pk}"
        elif args.pool is not None:
            pool = Pool.objects.filter(organisation=org, pk=args.pool).first()
            if pool is None:
                raise common.BadInput(text["no_pool"].format(id=args.pool, org=org.slug))
            people = Candidate.objects.of(org).filter(pools__pool=pool, anonymised_at=None)
            what = f"pool {pool.pk}"
        else:
            people, what = Candidate.objects.of(org).filter(anonymised_at=None), "all"
        if path.exists():
            raise common.BadInput(text["exists"].format(path=path))
        try:
            with path.open("xb") as out:  # never overwrites a file that appeared meanwhile
                count = export.write(people, columns, kind, out)
        except OSError as error:
            raise common.BadInput(
                text["unwritable"].format(path=path, error=error.strerror)
            ) from None
        export.audit(org, actor, now, what=what, count=count, columns=columns, kind=kind)
    print(text["done"].format(count=count, path=path, kind=kind, columns=", ".join(columns)))
    return 0
