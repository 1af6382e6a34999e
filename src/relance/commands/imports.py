"""`relance import FILE`: people from a CSV or XLSX file (a LinkedIn export, a spreadsheet,
another ATS's export), with the same reading, mapping, checks and writing as the import
page (relance/imports). Shows how the file is read and mapped, a preview of the first rows
with their problems (`--preview N`), a dry run (`--dry-run`), then imports with a progress
bar, and writes the refused rows with why to a CSV (`--report`)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from relance.commands import common
from relance.commands.arguments import Kinds

TEXT = {
    "fr": {
        "read": "{name} : {kind}{how}, {rows} ligne(s) après l'en-tête (ligne {line}) ; "
        "format reconnu : {layout}.",
        "how": " ({encoding}, séparateur « {sep} »)",
        "column": "Colonne",
        "field": "Champ",
        "ignored": "(ignorée)",
        "line": "Ligne",
        "person": "Personne",
        "result": "Résultat",
        "importing": "Import",
        "dry": "Simulation (--dry-run) : rien n'est écrit.",
        "summary": "{created} créé(s), {updated} mis à jour, {unchanged} inchangé(s), "
        "{skipped} ignoré(s), {refused} refusé(s).",
        "report": "Lignes refusées, avec le motif : {path}",
        "bad_map": "--map {value!r} : attendu COLONNE=champ, champ parmi {fields} (ou - pour "
        "ignorer la colonne)",
        "no_column": "--map {column!r} : aucune colonne de ce nom ({known})",
        "no_job": "--job {value!r} : aucun poste de {org} avec cet intitulé, cette référence "
        "ou ce numéro",
        "bad_stage": "--stage {value!r} : attendu l'une de {stages}",
        "bad_source": "--source {value!r} : attendu l'une de {sources}",
        "bad_tag": "--tag {value!r} : {why}",
        "unreadable": "{path} : impossible de lire le fichier ({error})",
        "actions": {"created": "créé", "updated": "mis à jour", "unchanged": "inchangé",
                    "skipped": "ignoré", "refused": "refusé"},
    },
    "en": {
        "read": "{name}: {kind}{how}, {rows} line(s) after the header (line {line}); "
        "layout recognised: {layout}.",
        "how": " ({encoding}, separator “{sep}”)",
        "column": "Column",
        "field": "Field",
        "ignored": "(ignored)",
        "line": "Line",
        "person": "Person",
        "result": "Result",
        "importing": "Importing",
        "dry": "Dry run (--dry-run): nothing is written.",
        "summary": "{created} created, {updated} updated, {unchanged} unchanged, "
        "{skipped} skipped, {refused} refused.",
        "report": "Refused lines, with the reason: {path}",
        "bad_map": "--map {value!r}: expected COLUMN=field, the field one of {fields} (or - "
        "to ignore the column)",
        "no_column": "--map {column!r}: no column of that name ({known})",
        "no_job": "--job {value!r}: no job of {org} with that title, reference or number",
        "bad_stage": "--stage {value!r}: expected one of {stages}",
        "bad_source": "--source {value!r}: expected one of {sources}",
        "bad_tag": "--tag {value!r}: {why}",
        "unreadable": "{path}: cannot read the file ({error})",
        "actions": {"created": "created", "updated": "updated", "unchanged": "unchanged",
                    "skipped": "skipped", "refused": "refused"},
    },
}  # fmt: skip


def add_parsers(sub: Any, kinds: Kinds) -> None:
    one = sub.add_parser("import", help="import people from a CSV or XLSX file")
    one.add_argument("file", type=kinds.file, help="the CSV or XLSX file")
    one.add_argument("--org", help="organisation slug (needed when there are several)")
    one.add_argument("--by", metavar="EMAIL", help="the recruiter who imports (audit log)")
    one.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=field",
        help="map a column (its name or number) to a field, or to - to ignore it",
    )
    one.add_argument("--source", help="the source of everyone in the file")
    one.add_argument("--tag", action="append", default=[], help="a tag for everyone (repeat)")
    one.add_argument("--owner", metavar="EMAIL", help="the recruiter in charge of them")
    one.add_argument("--job", help="put everyone on this job (its title, reference or number)")
    one.add_argument("--stage", help="at this stage (with --job, or a Job column)")
    one.add_argument(
        "--duplicates",
        choices=["update", "skip", "create"],
        default="update",
        help="a person already known: update them, skip them, or create anyway",
    )
    one.add_argument(
        "--preview",
        type=kinds.count(1000),
        metavar="N",
        help="only show the first N lines and their problems",
    )
    one.add_argument("--dry-run", action="store_true", help="say what would be done, write nothing")
    one.add_argument(
        "--report",
        type=kinds.new_file,
        help="where to write the refused lines "
        "(default: FILE-refused.csv beside the file, when some are refused)",
    )
    common.add_language(one)
    one.set_defaults(run=run_import)


def run_import(args: argparse.Namespace) -> int:
    import hashlib

    from django.utils import translation

    from relance.imports import mapping, reader, report, service
    from relance.imports.models import ImportRun

    common.migrate()
    lang = common.language_of(args)
    text = TEXT[lang]
    org = common.organisation(args.org, lang)
    actor = common.recruiter(org, args.by, lang)
    path = Path(args.file)
    out = common.console()
    now = datetime.now(tz=UTC)  # the clock, read once for the whole import
    with translation.override(lang):
        try:
            reader.check_size(path.stat().st_size)  # refused before reading it
            data = path.read_bytes()
        except OSError as error:
            raise common.BadInput(
                text["unreadable"].format(path=path, error=error.strerror)
            ) from None
        except reader.ImportProblem as problem:
            raise common.BadInput(f"{path}: {problem}") from None
        try:
            table = reader.read(data, path.name)
        except reader.ImportProblem as problem:
            raise common.BadInput(f"{path}: {problem}") from None
        fields = _mapping(table, args.map, text)
        options = _options(org, args, text, lang)
        layout, _source = mapping.layout(table.header)
        how = (
            text["how"].format(encoding=table.encoding, sep=table.separator_name)
            if table.kind == "csv"
            else ""
        )
        out.print(
            text["read"].format(
                name=path.name,
                kind=table.kind.upper(),
                how=how,
                rows=len(table.rows),
                line=table.header_line,
                layout=mapping.LAYOUT_NAMES[layout],
            ),
            highlight=False,
        )
        _show_mapping(out, table, fields, text)
        if args.preview:
            preview = service.run(
                org,
                table,
                fields,
                options,
                actor,
                now,
                dry_run=True,
                rows=table.rows[: args.preview],
            )
            _show_rows(out, preview.outcomes, text)
            return 0
        if args.dry_run:
            out.print(text["dry"])
        summary = _with_progress(
            out,
            text,
            lambda progress: service.run(
                org, table, fields, options, actor, now, dry_run=args.dry_run, progress=progress
            ),
        )
        counts = summary.counts
        ImportRun.objects.create(
            organisation=org,
            recruiter=actor,
            file_name=path.name[:255],
            digest=hashlib.sha256(data).hexdigest(),
            status=ImportRun.Status.DONE,
            dry_run=args.dry_run,
            reading=_reading(table, layout),
            mapping=fields,
            options=_described(options),
            total=summary.total,
            done=summary.total,
            refusals=[[o.line, " ".join(o.reasons)] for o in summary.refusals][:10_000],
            created_at=now,
            finished_at=datetime.now(tz=UTC),
            **counts,
        )
        out.print(text["summary"].format(**counts), highlight=False)
        if summary.refusals:
            target = (
                Path(args.report) if args.report else path.with_name(f"{path.stem}-refused.csv")
            )
            target.write_bytes(report.refused_csv(table, summary.outcomes))
            out.print(text["report"].format(path=target), highlight=False)
    return 0


def _mapping(table: Any, overrides: list[str], text: dict[str, Any]) -> list[str]:
    from relance.imports import mapping

    pairs: dict[str, str] = {}
    for value in overrides:
        column, sep, target = value.rpartition("=")
        if not sep or not column:
            raise common.BadInput(
                text["bad_map"].format(value=value, fields=", ".join(mapping.FIELDS))
            )
        pairs[column] = target.strip()
    try:
        return mapping.apply_overrides(table.header, mapping.suggest(table.header), pairs)
    except LookupError as missing:
        raise common.BadInput(
            text["no_column"].format(column=missing.args[0], known=", ".join(table.header))
        ) from None
    except ValueError as wrong:
        raise common.BadInput(
            text["bad_map"].format(
                value=f"{wrong.args[0]}={wrong.args[1]}", fields=", ".join(mapping.FIELDS)
            )
        ) from None


def _options(org: Any, args: argparse.Namespace, text: dict[str, Any], lang: str) -> Any:
    from relance.followups import pipeline
    from relance.imports import service
    from relance.people import candidates
    from relance.people.models import Job, Source

    job = None
    if args.job:
        jobs = Job.objects.filter(organisation=org)
        job = (jobs.filter(pk=int(args.job)).first() if args.job.isdigit() else None) or (
            jobs.filter(title__iexact=args.job).order_by("pk").first()
            or jobs.filter(external_ref__iexact=args.job).order_by("pk").first()
        )
        if job is None:
            raise common.BadInput(text["no_job"].format(value=args.job, org=org.slug))
    stage = ""
    if args.stage:
        try:
            stage = service.read_stage(args.stage)
        except ValueError:
            stage = ""
        if stage not in pipeline.ADDABLE:
            raise common.BadInput(
                text["bad_stage"].format(value=args.stage, stages=", ".join(pipeline.ADDABLE))
            )
    if args.source and args.source not in Source.values:
        raise common.BadInput(
            text["bad_source"].format(value=args.source, sources=", ".join(Source.values))
        )
    tags = []
    for tag in args.tag:
        try:
            tags.append(candidates.normalise_tag(tag))
        except ValueError as why:
            raise common.BadInput(text["bad_tag"].format(value=tag, why=why)) from None
    return service.Options(
        source=args.source or "",
        tags=tags,
        owner=common.recruiter(org, args.owner, lang),
        job=job,
        stage=stage,
        duplicates=args.duplicates,
    )


def _described(options: Any) -> dict[str, Any]:
    return {
        "source": options.source,
        "tags": options.tags,
        "duplicates": options.duplicates,
        "owner": options.owner.pk if options.owner else None,
        "job": options.job.pk if options.job else None,
        "stage": options.stage,
    }


def _reading(table: Any, layout: str) -> dict[str, Any]:
    return {
        "kind": table.kind,
        "encoding": table.encoding,
        "separator": table.separator,
        "header_line": table.header_line,
        "layout": layout,
        "header": table.header,
    }


def _show_mapping(out: Any, table: Any, fields: list[str], text: dict[str, Any]) -> None:
    from rich.table import Table

    from relance.imports import mapping

    shown = Table(text["column"], text["field"], box=None)
    for name, target in zip(table.header, fields, strict=False):
        shown.add_row(name, str(mapping.FIELDS[target]) if target else text["ignored"])
    out.print(shown)


def _show_rows(out: Any, outcomes: list[Any], text: dict[str, Any]) -> None:
    from rich.table import Table

    shown = Table(text["line"], text["person"], text["result"], box=None)
    for outcome in outcomes:
        result = text["actions"][outcome.action]
        if outcome.reasons:
            result += " — " + " ".join(outcome.reasons)
        shown.add_row(str(outcome.line), outcome.name, result)
    out.print(shown)


def _with_progress(out: Any, text: dict[str, Any], work: Any) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
        transient=not out.is_terminal,
    ) as bar:
        task = bar.add_task(text["importing"], total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return work(progress)
