"""The import page's runs: a file uploaded, mapped, then dry-run or imported outside the
request, batch by batch, with its progress in the ImportRun row that the page polls.

How it runs: a background thread of the web process (`start`, once the request's
transaction has committed). No queue or extra process is needed, and a worker is not
required for an import to move. What makes it safe:

- Each batch is one transaction holding both the batch's rows and the run's new position
  (`done`, the counts, the refusals). The position is written by a conditional update on
  the position read before the batch (`done=previous`): if another thread moved the run
  meanwhile, nothing of the batch is kept. A crash leaves either the whole batch and its
  position, or neither.
- A run that has not committed a batch for `STALE` (its process died or restarted) is
  taken up again from its saved position by the next poll of its page (`resume_if_stale`).
  What is lost is only the memory of the people met in the earlier batches (a person twice
  in the file, across a restart, is then matched as already known: updated or unchanged,
  not skipped).
- A dry run is the same batches, each rolled back (the import service's own dry run).

The uploaded file is kept in the default storage (beside the CVs) until the import is done
or abandoned, then deleted.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import translation

from relance import clock
from relance.imports import mapping, reader, service
from relance.imports.models import ImportRun
from relance.people.models import Job, Organisation, Recruiter

log = logging.getLogger(__name__)

STALE = timedelta(minutes=2)  # a running import that has not moved for this long is taken up
MAX_REFUSALS = 10_000  # refused rows kept for the report
ABANDONED_AFTER = timedelta(days=1)  # an upload never imported is deleted after this


def store(organisation: Organisation, data: bytes) -> str:
    """Keep an uploaded file until its import is done; its name in the storage."""
    return default_storage.save(f"imports/{organisation.pk}/{uuid.uuid4().hex}", ContentFile(data))


def table_of(run: ImportRun) -> reader.Table:
    with default_storage.open(run.stored, "rb") as handle:
        data = handle.read()
    return reader.read(data, run.file_name)


def options_of(run: ImportRun) -> service.Options:
    org = run.organisation
    chosen = run.options
    owner = (
        Recruiter.objects.filter(organisation=org, pk=chosen["owner"]).first()
        if chosen.get("owner")
        else None
    )
    job = (
        Job.objects.filter(organisation=org, pk=chosen["job"]).first()
        if chosen.get("job")
        else None
    )
    return service.Options(
        source=chosen.get("source", ""),
        tags=list(chosen.get("tags", [])),
        owner=owner,
        job=job,
        stage=chosen.get("stage", ""),
        duplicates=chosen.get("duplicates", "update"),
    )


def preview(run: ImportRun, table: reader.Table, rows: int, now: datetime) -> service.Summary:
    """The first rows as they would be imported, each with its problems: nothing written."""
    return service.run(
        run.organisation,
        table,
        run.mapping,
        options_of(run),
        run.recruiter,
        now,
        dry_run=True,
        rows=table.rows[:rows],
    )


def queue(run: ImportRun, dry_run: bool, language: str, now: datetime) -> bool:
    """Ask for the dry run or the import of a ready run; False when it is not ready (asked
    twice, or already done). The thread starts once the request's transaction commits."""
    changed = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.READY).update(
        status=ImportRun.Status.QUEUED,
        dry_run=dry_run,
        language=language,
        heartbeat=now,
        done=0,
        created=0,
        updated=0,
        unchanged=0,
        skipped=0,
        refused=0,
        refusals=[],
        error="",
        finished_at=None,
    )
    if changed:
        pk = run.pk
        transaction.on_commit(lambda: start(pk))
    return bool(changed)


def start(pk: int) -> None:
    spawn(_in_thread, pk)


def spawn(function: Callable[..., Any], *args: Any) -> None:
    """Run `function` in a daemon thread (tests replace this to run it in line)."""
    threading.Thread(target=function, args=args, daemon=True, name=f"import-{args}").start()


def _in_thread(pk: int) -> None:
    try:
        work(pk)
    finally:
        connection.close()  # the thread's own connection


def resume_if_stale(run: ImportRun, now: datetime) -> bool:
    """Take up a queued or running import whose thread is gone (no batch for STALE)."""
    if run.status not in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
        return False
    if run.heartbeat is not None and now - run.heartbeat < STALE:
        return False
    moved = ImportRun.objects.filter(pk=run.pk, status=run.status, heartbeat=run.heartbeat).update(
        heartbeat=now
    )
    if moved:
        start(run.pk)
    return bool(moved)


class _Moved(Exception):
    """Another thread moved the run while this one worked on a batch."""


class _RollBack(Exception):
    pass


def work(pk: int, batch: int = service.BATCH) -> None:
    """Import (or dry-run) the run from its saved position to its end, a batch per
    transaction, then delete its file (an import done) or keep it (a dry run: the import
    may follow)."""
    run = ImportRun.objects.select_related("organisation", "recruiter").get(pk=pk)
    if run.status not in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
        return
    with translation.override(run.language or "en"):
        try:
            table = table_of(run)
        except (OSError, reader.ImportProblem) as problem:
            _fail(run, str(problem))
            return
        options = options_of(run)
        seen: dict[tuple[str, str], int] = {}
        ImportRun.objects.filter(pk=pk).update(
            status=ImportRun.Status.RUNNING, total=len(table.rows)
        )
        while True:
            try:
                run.refresh_from_db()
            except ImportRun.DoesNotExist:
                return  # abandoned meanwhile
            if run.status != ImportRun.Status.RUNNING:
                return
            part = table.rows[run.done : run.done + batch]
            if not part:
                break
            try:
                _batch(run, table, options, part, seen)
            except _Moved:
                return
            except Exception as error:  # said on the page, never a traceback
                log.exception("import run %s failed", pk)
                _fail(run, f"{type(error).__name__}: {error}")
                return
    now = clock.now()
    ImportRun.objects.filter(pk=pk, status=ImportRun.Status.RUNNING).update(
        status=ImportRun.Status.DONE, finished_at=now, heartbeat=now
    )
    if not run.dry_run:
        discard(run)


def _batch(
    run: ImportRun,
    table: reader.Table,
    options: service.Options,
    part: list[reader.Row],
    seen: dict[tuple[str, str], int],
) -> None:
    now = clock.now()  # the clock, read once for the batch
    files: list[str] = []  # CV files the batch writes: removed if it is rolled back
    try:
        _batch_in_transaction(run, table, options, part, seen, now, files)
    except BaseException:
        service.remove_files(files)
        raise


def _batch_in_transaction(
    run: ImportRun,
    table: reader.Table,
    options: service.Options,
    part: list[reader.Row],
    seen: dict[tuple[str, str], int],
    now: datetime,
    files: list[str],
) -> None:
    with transaction.atomic():
        summary = service.run(
            run.organisation,
            table,
            run.mapping,
            options,
            run.recruiter,
            now,
            dry_run=run.dry_run,
            rows=part,
            batch=len(part),
            seen=seen,
            files=files,
        )
        by_line = {row.number: row.cells for row in part}
        room = max(0, MAX_REFUSALS - len(run.refusals))
        refusals = [
            [o.line, " ".join(o.reasons), by_line.get(o.line, [])] for o in summary.refusals
        ][:room]
        counts = summary.counts
        moved = ImportRun.objects.filter(
            pk=run.pk, status=ImportRun.Status.RUNNING, done=run.done
        ).update(
            done=run.done + len(part),
            created=run.created + counts["created"],
            updated=run.updated + counts["updated"],
            unchanged=run.unchanged + counts["unchanged"],
            skipped=run.skipped + counts["skipped"],
            refused=run.refused + counts["refused"],
            refusals=[*run.refusals, *refusals],
            heartbeat=now,
        )
        if not moved:
            raise _Moved


def _fail(run: ImportRun, error: str) -> None:
    now = clock.now()
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.FAILED, error=error[:2000], finished_at=now, heartbeat=now
    )
    if not run.dry_run:
        discard(run)  # what was written stays (whole batches); importing again is idempotent


def discard(run: ImportRun) -> None:
    """Delete the run's uploaded file (the import is done or abandoned)."""
    if run.stored:
        default_storage.delete(run.stored)
        ImportRun.objects.filter(pk=run.pk).update(stored="")
        run.stored = ""


def abandon_old(organisation: Organisation, now: datetime) -> None:
    """Uploads read but never imported for a day: their files deleted, the runs too."""
    for run in ImportRun.objects.filter(
        organisation=organisation,
        status=ImportRun.Status.READY,
        created_at__lt=now - ABANDONED_AFTER,
    ):
        discard(run)
        run.delete()


def report(run: ImportRun) -> bytes:
    """The refused rows as a CSV (imports/report.py), from what the run kept of them."""
    from relance.imports import report as refused

    header = list(run.reading.get("header", []))
    table = reader.Table(
        run.reading.get("kind", "csv"),
        header,
        0,
        [reader.Row(int(r[0]), list(r[2])) for r in run.refusals],
    )
    outcomes = [service.Outcome(int(r[0]), "refused", reasons=[str(r[1])]) for r in run.refusals]
    return refused.refused_csv(table, outcomes)


def reading(table: reader.Table) -> dict[str, Any]:
    layout, _source = mapping.layout(table.header)
    return {
        "kind": table.kind,
        "encoding": table.encoding,
        "separator": table.separator,
        "header_line": table.header_line,
        "layout": layout,
        "header": table.header,
    }
