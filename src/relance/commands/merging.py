"""`relance merge KEEP OTHER`: merge two records of one person (people/merge.py), for
scripts. Without --yes it only says what would happen."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "dry": "Le candidat n° {other} ({other_name}) serait fusionné dans le n° {keep} "
        "({keep_name}), qui garde son historique, ses relances, candidatures, consentements "
        "et CV. Champs différents (la valeur du n° {keep} est gardée sauf --take) : "
        "{fields}. Ajoutez --yes pour le faire.",
        "none": "aucun",
        "done": "Candidat n° {other} fusionné dans le n° {keep}. Valeurs reprises du n° "
        "{other} : {fields}. Consentements retirés par la fusion : {withdrawn}. "
        "Candidatures au même poste regroupées : {folded}. La fusion est notée au journal.",
        "no_such": "{what} : aucun candidat n° {id} dans {org}",
    },
    "en": {
        "dry": "Candidate #{other} ({other_name}) would be merged into #{keep} ({keep_name}), "
        "which keeps its timeline, follow-ups, applications, consents and CVs. Fields that "
        "differ (#{keep}'s value is kept unless --take): {fields}. Add --yes to do it.",
        "none": "none",
        "done": "Candidate #{other} merged into #{keep}. Values taken from #{other}: "
        "{fields}. Consents withdrawn by the merge: {withdrawn}. Applications to the same "
        "job folded: {folded}. The merge is in the audit log.",
        "no_such": "{what}: no candidate #{id} in {org}",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    one = sub.add_parser(
        "merge", help="merge two records of the same person (the first one is kept)"
    )
    one.add_argument("keep", type=kinds.identifier, metavar="KEEP", help="the id kept")
    one.add_argument(
        "other", type=kinds.identifier, metavar="OTHER", help="the id merged into KEEP"
    )
    one.add_argument("--org", help="organisation slug (needed when there are several)")
    one.add_argument(
        "--take",
        action="append",
        default=[],
        metavar="FIELD",
        help="a profile field whose value comes from OTHER (repeatable), e.g. --take email",
    )
    one.add_argument("--by", metavar="EMAIL", help="the recruiter who does it (audit log)")
    one.add_argument("--yes", action="store_true", help="do it (without it: only say what)")
    common.add_language(one)
    one.set_defaults(run=run_merge)


def run_merge(args: argparse.Namespace) -> int:
    from django.utils import translation

    from relance.people import merge
    from relance.people.models import Candidate

    common.migrate()
    lang = common.language_of(args)
    text = TEXT[lang]
    org = common.organisation(args.org, lang)
    people = {c.pk: c for c in Candidate.objects.of(org).filter(pk__in=[args.keep, args.other])}
    for what, pk in (("KEEP", args.keep), ("OTHER", args.other)):
        if pk not in people:
            raise common.BadInput(text["no_such"].format(what=what, id=pk, org=org.slug))
    keep, other = people[args.keep], people[args.other]
    with translation.override(lang):
        merge.check_choices(dict.fromkeys(args.take, "other"))
        if not args.yes:
            fields = merge.differences(keep, other)
            print(
                text["dry"].format(
                    keep=keep.pk, keep_name=keep.full_name, other=other.pk,
                    other_name=other.full_name, fields=", ".join(fields) or text["none"],
                )
            )  # fmt: skip
            return 0
        done = merge.merge(
            keep, other, common.recruiter(org, args.by, lang), datetime.now(tz=UTC),
            dict.fromkeys(args.take, "other"),
        )  # fmt: skip
    print(
        text["done"].format(
            keep=done.kept.pk, other=done.removed_id,
            fields=", ".join(done.fields_from_other) or text["none"],
            withdrawn=", ".join(done.withdrawn) or text["none"], folded=done.applications_dropped,
        )
    )  # fmt: skip
    return 0
