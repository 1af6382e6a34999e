"""`relance match JOB | --text FILE`: the CV bank ranked for a job (or any offer's text),
each candidate with a score from 0 to 100, the requirements found (with the CV line that
shows each) and missing, the one-sentence reason and whether they may be sent the job now
(the campaign exclusions' reasons and codes, pools/campaigns.py). `--json` prints one JSON
object per line: the stable interface other tools read. `--rebuild` builds the index
again from the database, with a progress bar (matching/index.py)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "rank": "Rang",
        "candidate": "Candidat",
        "score": "Score",
        "matched": "Trouvées",
        "missing": "Manquantes",
        "contact": "Envoyer ?",
        "reason": "Pourquoi",
        "yes": "oui",
        "no": "non ({why})",
        "title": "{count} candidat(s) pour « {what} » — sur {bank} CV",
        "none": "Aucun CV ne correspond à « {what} » ({bank} CV dans la base).",
        "rebuilding": "Index des CV",
        "rebuilt": "Index reconstruit : {count} CV de {org}.",
        "nothing": "Indiquez un poste (son numéro, son intitulé ou sa référence), --text "
        "FICHIER ou --rebuild",
        "both": "Un poste ou --text FICHIER, pas les deux",
        "no_job": "{value!r} : aucun poste de {org} avec ce numéro, cet intitulé ou cette "
        "référence",
        "several_jobs": "{value!r} : plusieurs postes de {org} portent cet intitulé ; "
        "donnez son numéro",
        "unreadable": "--text {path} : impossible de lire le fichier ({error})",
        "not_text": "--text {path} : le fichier n'est pas du texte en UTF-8 (octet {at})",
        "empty": "--text {path} : le fichier est vide",
    },
    "en": {
        "rank": "Rank",
        "candidate": "Candidate",
        "score": "Score",
        "matched": "Found",
        "missing": "Missing",
        "contact": "Send?",
        "reason": "Why",
        "yes": "yes",
        "no": "no ({why})",
        "title": "{count} candidate(s) for “{what}” — out of {bank} CVs",
        "none": "No CV matches “{what}” ({bank} CVs in the bank).",
        "rebuilding": "CV index",
        "rebuilt": "Index rebuilt: {count} CVs of {org}.",
        "nothing": "Name a job (its number, title or reference), --text FILE or --rebuild",
        "both": "A job or --text FILE, not both",
        "no_job": "{value!r}: no job of {org} with that number, title or reference",
        "several_jobs": "{value!r}: several jobs of {org} have that title; give its number",
        "unreadable": "--text {path}: cannot read the file ({error})",
        "not_text": "--text {path}: the file is not UTF-8 text (byte {at})",
        "empty": "--text {path}: the file is empty",
    },
}

# The campaign exclusions' codes, as a recruiter reads them.
WHY = {
    "fr": {
        "do_not_contact": "à ne pas contacter",
        "unsubscribed": "désabonné",
        "bounced": "adresse en échec",
        "no_email": "pas d'e-mail",
        "ended": "recruté ou retiré",
        "no_consent": "pas de consentement aux offres",
        "preference_never": "ne veut pas d'offres",
        "preference_frequency": "rythme atteint",
        "pressure_cap": "plafond de messages atteint",
    },
    "en": {
        "do_not_contact": "do not contact",
        "unsubscribed": "unsubscribed",
        "bounced": "address bounced",
        "no_email": "no e-mail",
        "ended": "hired or withdrawn",
        "no_consent": "no consent to job alerts",
        "preference_never": "wants no job offers",
        "preference_frequency": "rhythm reached",
        "pressure_cap": "message cap reached",
    },
}


def add_parsers(sub: Any, kinds: Kinds) -> None:
    one = sub.add_parser("match", help="rank the CV bank for a job or an offer's text")
    one.add_argument("job", nargs="?", help="the job: its number, title or reference")
    one.add_argument("--text", type=kinds.file, metavar="FILE", help="an offer's text (UTF-8)")
    one.add_argument(
        "--limit", type=kinds.count(1000), default=20, metavar="N", help="how many (default 20)"
    )
    one.add_argument("--json", action="store_true", help="one JSON object per line")
    one.add_argument(
        "--rebuild", action="store_true", help="build the index again from the database first"
    )
    one.add_argument("--org", help="organisation slug (needed when there are several)")
    common.add_language(one)
    one.set_defaults(run=run_match)


def run_match(args: argparse.Namespace) -> int:
    from relance.matching import index, rank

    common.migrate()
    lang = common.language_of(args)
    text = TEXT[lang]
    org = common.organisation(args.org, lang)
    if args.job is not None and args.text is not None:
        raise common.BadInput(text["both"])
    if args.job is None and args.text is None and not args.rebuild:
        raise common.BadInput(text["nothing"])
    job = _job(org, args.job, text) if args.job is not None else None
    offer = _offer(args.text, text) if args.text is not None else None
    out = common.console()
    if args.rebuild:
        count = _rebuild(out, org, text, quiet=args.json)
        if not args.json:
            out.print(text["rebuilt"].format(count=count, org=org.slug))
    if job is None and offer is None:
        return 0
    matches = rank.rank(org, job=job, text=offer, limit=args.limit)
    rows = described(org, matches, lang)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    what = job.title if job is not None else Path(args.text).name
    bank, _ = index.statistics(org.id)
    _table(out, rows, text, lang, what, bank)
    return 0


def _job(org: Any, value: str, text: dict[str, Any]) -> Any:
    from django.db.models import Q

    from relance.people.models import Job

    jobs = Job.objects.of(org)
    found = list(jobs.filter(pk=int(value))[:1]) if value.strip().isdigit() else []
    if not found:
        found = list(
            jobs.filter(Q(title__iexact=value.strip()) | Q(external_ref=value.strip()))[:2]
        )
    if len(found) > 1:
        raise common.BadInput(text["several_jobs"].format(value=value, org=org.slug))
    if not found:
        raise common.BadInput(text["no_job"].format(value=value, org=org.slug))
    return found[0]


def _offer(path: str, text: dict[str, Any]) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise common.BadInput(text["unreadable"].format(path=path, error=error.strerror)) from None
    try:
        offer = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise common.BadInput(text["not_text"].format(path=path, at=error.start)) from None
    if not offer.strip():
        raise common.BadInput(text["empty"].format(path=path))
    return offer


def _rebuild(out: Any, org: Any, text: dict[str, Any], quiet: bool) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from relance.matching import index

    if quiet:  # --json: standard output is for the JSON lines only
        return index.rebuild(org.id)
    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
        transient=not out.is_terminal,
    ) as bar:
        task = bar.add_task(text["rebuilding"], total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return index.rebuild(org.id, progress=progress)


def contactable(org: Any, candidate_ids: list[int]) -> dict[int, str]:
    """Per candidate, why they may not be sent a job offer now ('' when they may): the
    campaign exclusions for the job-offers topic, the same rules and codes."""
    from relance.pools import campaigns
    from relance.pools.models import Topic

    now = datetime.now(tz=UTC)
    rows = (
        campaigns.annotated(org, {}, Topic.JOB_OFFERS, now)
        .filter(id__in=candidate_ids)
        .values_list("id", "exclusion")
    )
    return dict(rows)


def described(org: Any, matches: list[Any], lang: str) -> list[dict[str, Any]]:
    """The matches as the stable interface gives them (one JSON object each)."""
    from relance.matching import score, vocabulary
    from relance.people.models import Candidate

    ids = [match.candidate for match in matches]
    people = {c.id: c for c in Candidate.objects.filter(id__in=ids).only("id", "email")}
    exclusions = contactable(org, ids)
    rows = []
    for match in matches:
        result = match.score
        why = exclusions.get(match.candidate, "do_not_contact")
        rows.append(
            {
                "candidate": match.candidate,
                "email": people[match.candidate].email if match.candidate in people else "",
                "score": result.value,
                "matched": [vocabulary.name(concept, lang) for concept, _ in result.matched],
                "missing": [vocabulary.name(concept, lang) for concept in result.missing],
                "contactable": not why,
                "not_contactable_because": why or None,
                "reason": score.reason_text(result, lang),
                "reason_code": result.reason,
                "evidence": [
                    {"requirement": vocabulary.name(concept, lang), "line": line}
                    for concept, line in result.matched
                ],
                "cv": match.cv,
            }
        )
    return rows


def _table(
    out: Any, rows: list[dict[str, Any]], text: dict[str, Any], lang: str, what: str, bank: int
) -> None:
    from rich.table import Table

    if not rows:
        out.print(text["none"].format(what=what, bank=bank))
        return
    table = Table(title=text["title"].format(count=len(rows), what=what, bank=bank))
    for key in ("rank", "candidate", "score", "matched", "missing", "contact", "reason"):
        table.add_column(text[key], overflow="fold")
    for place, row in enumerate(rows, start=1):
        why = row["not_contactable_because"]
        table.add_row(
            str(place),
            f"#{row['candidate']} {row['email']}",
            str(row["score"]),
            ", ".join(row["matched"]),
            ", ".join(row["missing"]),
            text["yes"] if why is None else text["no"].format(why=WHY[lang].get(why, why)),
            row["reason"],
        )
    out.print(table)
