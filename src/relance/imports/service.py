"""Importing people from a table (imports/reader.py) mapped to fields (imports/mapping.py).

One function does everything, `run`, and its dry run is the same work rolled back: what a
dry run reports is exactly what the import would do (created, updated, unchanged, skipped,
refused, each refusal with its reason), because it is the import. The preview is a dry run
of the first rows.

- Rows are written in batches (`BATCH` rows, one transaction each); inside a batch each
  row has its own savepoint, so a refused row leaves nothing behind (no person without
  their application) and the others are kept.
- Every person is created or updated through people/candidates.py (the same checks and
  normalisation as the form, the audit entry, the erasure check), and put on a job through
  followups.pipeline.add (a stage change recorded by record_event: the hard rules hold).
- Identity (people/identity.py, one query per batch): a row whose e-mail, LinkedIn profile
  or phone is already a candidate's is that person. The file's policy says what to do:
  `update` (fill what the file gives; never blank a field, tags added to theirs, source
  and owner kept), `skip`, or `create` (a new person anyway; refused if the e-mail is
  theirs, since an address belongs to one person). Two rows of the same person in one file:
  the first is imported, the next skipped, naming the line.
- Importing the same file twice changes nothing the second time: every row is then an
  existing person with nothing new (`unchanged`), and an application already on the job is
  left as it is.
- An "applied" stage is recorded as a stage change, not as an application received: the
  acknowledgement an application sends is for one arriving now, not for an old one in
  another tool's export. Imported people are never e-mailed by the import itself. A row at
  an end (hired, rejected, withdrawn) is refused: a rejection recorded now would start the
  rejection follow-up of an old process; map the stage column to nothing to import them.
- A CV's text (a `cv_text` column) becomes a CV of the person (intake.CV, kind "txt"): the
  text stored as a file like an uploaded CV, recorded through intake/documents.py, with an
  audit entry. The same text again (the same file imported twice) adds no second CV: a
  person already holding a CV with the same SHA-256 keeps theirs. The files written by rows
  that are then rolled back (a dry run, a failed batch) are removed.
- Formulas are text: a cell `=cmd|…` is stored as typed (never evaluated here; exports
  escape it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from relance.engine import Stage
from relance.followups import pipeline
from relance.imports import dates, mapping
from relance.imports.reader import Row, Table
from relance.intake import cvs, documents
from relance.intake.models import CV
from relance.people import candidates, identity, rights
from relance.people.identity import Identity, Match
from relance.people.models import (
    Application,
    AuditEntry,
    Candidate,
    Job,
    Organisation,
    Recruiter,
    Source,
)

BATCH = 500
POLICIES = ("update", "skip", "create")
ACTIONS = ("created", "updated", "unchanged", "skipped", "refused")

# Stages as other tools and people write them (folded), beside their own codes.
STAGE_NAMES = {
    "new": "sourced", "nouveau": "sourced", "source": "sourced", "sourcing": "sourced",
    "contacte": "contacted", "approche": "contacted", "repondu": "replied",
    "candidature": "applied", "postule": "applied", "application": "applied",
    "preselection": "screening", "qualification": "screening", "phone screen": "screening",
    "entretien": "interview", "interviewing": "interview", "entretien final": "final",
    "final interview": "final", "offre": "offer", "proposition": "offer",
    "embauche": "hired", "recrute": "hired", "refuse": "rejected", "rejete": "rejected",
    "non retenu": "rejected", "desiste": "withdrawn", "abandon": "withdrawn",
}  # fmt: skip
SOURCE_NAMES = {
    "linkedin": "linkedin", "linkedin recruiter": "linkedin", "email": "email",
    "e mail": "email", "cv database": "cv_database", "cvtheque": "cv_database",
    "application": "application", "candidature": "application", "referral": "referral",
    "cooptation": "referral", "event": "event", "evenement": "event", "salon": "event",
}  # fmt: skip


@dataclass
class Options:
    """What is set for the whole file."""

    source: str = ""  # else the layout's (LinkedIn), else the column's, else cv_database
    tags: list[str] = field(default_factory=list)
    owner: Recruiter | None = None  # None: the recruiter importing
    job: Job | None = None
    stage: str = ""
    duplicates: str = "update"


@dataclass
class Outcome:
    line: int
    action: str  # one of ACTIONS
    name: str = ""
    reasons: list[str] = field(default_factory=list)  # "Column: what is wrong", translated
    candidate_id: int | None = None


@dataclass
class Summary:
    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def refusals(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == "refused"]


class _Refused(Exception):
    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons


class _DryRun(Exception):
    pass


def read_stage(raw: str) -> str:
    """A stage code from a stage as written ("Entretien", "interview", "Offre"); ValueError
    for one Relance does not know."""
    folded = mapping.fold(raw)
    codes = {s.value for s in Stage}
    code = folded if folded in codes else STAGE_NAMES.get(folded)
    if code is None:
        raise ValueError(raw)
    return code


def run(
    organisation: Organisation,
    table: Table,
    fields: Sequence[str],
    options: Options,
    actor: Recruiter | None,
    now: datetime,
    *,
    dry_run: bool = False,
    rows: Sequence[Row] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
    seen: dict[tuple[str, str], int] | None = None,
    files: list[str] | None = None,
) -> Summary:
    """Import `rows` (all of the table's by default); a dry run writes nothing. `seen` (the
    identities met so far, to the line) is kept by a caller that imports a file in parts
    (the page's runs, imports/runs.py): a person twice in the file is skipped across parts.
    `files` receives the names of the CV files written: a caller whose own transaction
    around this one fails removes them (`remove_files`)."""
    rows = table.rows if rows is None else rows
    layout_source = mapping.layout(table.header)[1]
    summary = Summary(total=len(rows))
    seen = {} if seen is None else seen
    jobs = _jobs(organisation) if "job" in fields else {}
    files = [] if files is None else files  # CV files written, removed if rolled back
    already = len(files)
    try:
        with transaction.atomic() if dry_run else nullcontext():
            for start in range(0, len(rows), batch):
                part = rows[start : start + batch]
                written = len(files)
                try:
                    with transaction.atomic():
                        _batch(organisation, table, fields, options, actor, now, part,
                               layout_source, jobs, seen, summary, files)  # fmt: skip
                except BaseException:
                    remove_files(files[written:])
                    del files[written:]
                    raise
                if progress is not None:
                    progress(start + len(part), len(rows))
            if dry_run:
                raise _DryRun
    except _DryRun:
        remove_files(files[already:])
        del files[already:]
    except BaseException:
        if dry_run:
            remove_files(files[already:])
            del files[already:]
        raise
    return summary


def remove_files(names: list[str]) -> None:
    """Remove CV files whose rows were rolled back."""
    for name in names:
        with suppress(OSError):  # a file left behind is harmless (no row names it)
            default_storage.delete(name)


def _batch(
    organisation: Organisation,
    table: Table,
    fields: Sequence[str],
    options: Options,
    actor: Recruiter | None,
    now: datetime,
    rows: Sequence[Row],
    layout_source: str,
    jobs: dict[str, Job],
    seen: dict[tuple[str, str], int],
    summary: Summary,
    files: list[str],
) -> None:
    read = [
        _read_row(organisation, table, fields, options, row, layout_source, jobs) for row in rows
    ]
    matches = identity.find_many(organisation, [r.identity for r in read])
    for row, one, match in zip(rows, read, matches, strict=True):
        outcome = Outcome(row.number, "refused", one.name)
        if one.problems:
            outcome.reasons = one.problems
        else:
            earlier = next((seen[k] for k in one.identity.pairs() if k in seen), None)
            for key in one.identity.pairs():
                seen.setdefault(key, row.number)
            if earlier is not None:
                outcome.action = "skipped"
                outcome.reasons = [_("the same person as line %(line)s.") % {"line": earlier}]
            else:
                try:
                    with transaction.atomic():
                        outcome.action, outcome.candidate_id, why = _write(
                            organisation, one, match, options, actor, now, table, fields, files
                        )
                        outcome.reasons = why
                except _Refused as refused:
                    outcome.action, outcome.reasons = "refused", refused.reasons
        summary.counts[outcome.action] += 1
        summary.outcomes.append(outcome)


@dataclass
class _Read:
    data: dict[str, Any]
    identity: Identity
    name: str
    problems: list[str]
    stage: str = ""
    job: Job | None = None
    date: datetime | None = None
    cv_text: str = ""


def _read_row(
    organisation: Organisation,
    table: Table,
    fields: Sequence[str],
    options: Options,
    row: Row,
    layout_source: str,
    jobs: dict[str, Job],
) -> _Read:
    cell: dict[str, str] = {}
    column: dict[str, str] = {}
    for index, target in enumerate(fields):
        if target and index < len(row.cells) and target not in cell:
            cell[target] = row.cells[index].strip()
            column[target] = table.header[index] if index < len(table.header) else str(index + 1)
    problems: list[str] = []

    def problem(target: str, message: str) -> None:
        problems.append(f"{column.get(target, mapping.FIELDS[target])}: {message}")

    first, last = cell.get("first_name", ""), cell.get("last_name", "")
    if not first and not last and cell.get("full_name"):
        first, last = split_name(cell["full_name"])
    emails = [e for e in _split(cell.get("email", ""), ",; ") if e]
    data: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "email": emails[0] if emails else "",
        "phone": cell.get("phone", ""),
        "linkedin_url": cell.get("linkedin_url", ""),
    }
    for name in ("location", "country", "language"):
        if cell.get(name):
            data[name] = cell[name]
    if cell.get("position"):
        data["desired_role"] = cell["position"]
    if cell.get("company"):
        data["company"] = cell["company"]
    if cell.get("skills"):
        data["skills"] = cell["skills"]
    data["tags"] = [*_split(cell.get("tags", ""), ",;"), *options.tags]
    source = SOURCE_NAMES.get(mapping.fold(cell.get("source", "")), "")
    data["source"] = options.source or source or layout_source or Source.CV_DATABASE
    if options.owner is not None:
        data["owner"] = str(options.owner.pk)

    date = None
    if cell.get("date"):
        try:
            date = dates.read_date(cell["date"])
        except ValueError:
            problem("date", _("“%(value)s” is not a date: expected one like 12/01/2024, "
                              "12 Jan 2024 or 2024-01-12.") % {"value": cell["date"]})  # fmt: skip
    stage = options.stage
    if cell.get("stage"):
        try:
            stage = read_stage(cell["stage"])
        except ValueError:
            problem("stage", _("“%(value)s” is not a stage: expected one of %(stages)s.")
                    % {"value": cell["stage"], "stages": ", ".join(pipeline.ADDABLE)})  # fmt: skip
    if stage and stage not in pipeline.ADDABLE:
        problem("stage", _("“%(value)s”: an imported person is added at one of %(stages)s "
                           "(an end would start its follow-ups now).")
                % {"value": stage, "stages": ", ".join(pipeline.ADDABLE)})  # fmt: skip
    job = options.job
    if cell.get("job"):
        job = jobs.get(cell["job"].lower())
        if job is None:
            problem("job", _("“%(value)s” is not a job of your organisation (its title or its "
                             "reference).") % {"value": cell["job"]})  # fmt: skip
    if stage and job is None and not any(p for p in problems):
        problem("stage", _("a stage needs a job: choose one for the whole file, or map a "
                           "column to the job."))  # fmt: skip
    country = (cell.get("country") or organisation.country).upper()
    ident = Identity.read(emails, data["linkedin_url"], data["phone"], country)
    data["external_ref"] = cell.get("external_ref", "")
    name = f"{first} {last}".strip()
    cv_text = cvs.tidy(cell.get("cv_text", ""))
    return _Read(data, ident, name, problems, stage, job, date, cv_text)


def split_name(full: str) -> tuple[str, str]:
    """ "Marie Dupont" → (Marie, Dupont); "DUPONT Marie" (the French way, the last name in
    capitals first) → (Marie, DUPONT); "Dupont, Marie" → (Marie, Dupont)."""
    if "," in full:
        last, _sep, first = full.partition(",")
        return " ".join(first.split()), " ".join(last.split())
    words = full.split()
    if len(words) < 2:
        return full.strip(), ""
    capitals = [w for w in words if w.isupper() and len(w) > 1]
    if capitals and words[0].isupper() and len(capitals) < len(words):
        n = len(capitals)
        return " ".join(words[n:]), " ".join(words[:n])
    return words[0], " ".join(words[1:])


def _write(
    organisation: Organisation,
    one: _Read,
    match: Match | None,
    options: Options,
    actor: Recruiter | None,
    now: datetime,
    table: Table,
    fields: Sequence[str],
    files: list[str],
) -> tuple[str, int | None, list[str]]:
    """Inside the row's savepoint: the person, then their application. Raises _Refused."""
    columns = {f: table.header[i] for i, f in enumerate(fields) if f and i < len(table.header)}
    external_ref = one.data.pop("external_ref", "")
    why: list[str] = []
    if match is not None and options.duplicates == "skip":
        return "skipped", match.candidate.pk, [_same(match)]
    if match is not None and options.duplicates == "update":
        person = match.candidate
        data = _update_data(person, one.data)
        try:
            change = candidates.update(person, data, actor, now, via="import")
        except candidates.CandidateInvalid as invalid:
            raise _Refused(_reasons(invalid, columns)) from None
        action = "updated" if change else "unchanged"
        why = [_same(match)]
    else:
        try:
            person = candidates.create(organisation, one.data, actor, now)
        except candidates.CandidateInvalid as invalid:
            raise _Refused(_reasons(invalid, columns)) from None
        action = "created"
        if match is not None:
            why = [_same(match)]  # created anyway, as the file's policy asked
        extra: dict[str, Any] = {}
        if external_ref:
            extra["external_ref"] = external_ref[:100]
        if one.date is not None and one.date < now:
            extra["created_at"] = one.date  # known since (LinkedIn's "Connected On")
        if extra:
            Candidate.objects.filter(pk=person.pk).update(**extra)
    if one.job is not None and one.stage:
        existing = Application.objects.filter(candidate=person, job=one.job).first()
        if existing is None:
            try:
                pipeline.add(person, one.job, one.stage, actor, now)
            except pipeline.Refused as refused:
                raise _Refused(
                    [f"{columns.get('stage', mapping.FIELDS['stage'])}: {refused}"]
                ) from None
            if action == "unchanged":
                action = "updated"
    if one.cv_text and _add_cv(person, one.cv_text, actor, now, files) and action == "unchanged":
        action = "updated"
    return action, person.pk, why


def _add_cv(
    person: Candidate, text: str, actor: Recruiter | None, now: datetime, files: list[str]
) -> CV | None:
    """The person's CV from a cell's text, as intake stores an uploaded one (the text as a
    UTF-8 .txt file in storage, its row recorded by documents.record), audited; None when
    they already hold a CV with this very text (importing the same file again)."""
    data = text.encode("utf-8")
    if CV.objects.filter(candidate=person, sha256=hashlib.sha256(data).hexdigest()).exists():
        return None
    received = documents.Received(data, "cv.txt", cvs.read(data, cvs.TXT))
    with documents.stored(received, person.organisation_id) as name:
        files.append(name)
        cv = documents.record(person, received, name, actor, now)
        rights.audit(person, actor, AuditEntry.Action.CHANGED, now, cv=cv.pk, added="cv",
                     via="import")  # fmt: skip
    return cv


def _update_data(person: Candidate, data: dict[str, Any]) -> dict[str, Any]:
    """What the file adds to an existing person: the fields it gives (an empty cell blanks
    nothing), their tags added to the person's; source and owner stay theirs."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in ("source", "owner", "tags") or value in ("", None, []):
            continue
        if name == "email" and person.email:
            continue  # they keep theirs; the file's was how they were recognised, or another
        out[name] = value
    tags = list(person.tags)
    for tag in data.get("tags", []):
        try:
            tag = candidates.normalise_tag(tag)
        except ValueError:
            out["tags"] = [*tags, tag]  # refused by candidates.read, naming it
            return out
        if tag not in tags:
            tags.append(tag)
    if tags != person.tags:
        out["tags"] = tags
    return out


def _same(match: Match) -> str:
    kinds = {"email": _("same e-mail"), "linkedin_url": _("same LinkedIn profile"),
             "phone": _("same phone")}  # fmt: skip
    name = match.candidate.full_name or f"#{match.candidate.pk}"
    return _("%(why)s as %(name)s (%(value)s).") % {
        "why": kinds[match.kind], "name": name, "value": match.value,
    }  # fmt: skip


def _reasons(invalid: candidates.CandidateInvalid, columns: dict[str, str]) -> list[str]:
    out = []
    for name, message in invalid.problems.items():
        label = columns.get(name) or candidates.FIELD_NAMES.get(name, name)
        out.append(f"{label}: {message}")
    return out


def _split(text: str, separators: str) -> list[str]:
    for sep in separators[1:]:
        text = text.replace(sep, separators[0])
    return [p.strip() for p in text.split(separators[0]) if p.strip()]


def _jobs(organisation: Organisation) -> dict[str, Job]:
    """The organisation's jobs by title and by reference, in lower case."""
    out: dict[str, Job] = {}
    for job in Job.objects.filter(organisation=organisation).order_by("-pk"):
        out[job.title.lower()] = job
        if job.external_ref:
            out[job.external_ref.lower()] = job
    return out
