"""The BM25 index of an organisation's CV bank: one document per candidate (the latest CV
with text), its protected information and the person's names removed, then stemmed
(`text.stems`).

Why our own numpy arrays rather than bm25s: bm25s stores each (word, CV) pair's finished
BM25 score, so the IDF and the average length are frozen when the index is built. An
index that grows one CV at a time would then score a CV differently depending on whether
it sits in the main part or in a part added later, and the same CV bank would not give
the same scores before and after a rebuild. Here the index stores term frequencies only;
the IDF (from the live document frequency) and the average length are worked out at
query time over every live document, so a score depends on the CV bank alone, never on
the history of the index.

On disk, under `<data dir>/matching/<organisation id>/`:

- segments: immutable folders of numpy arrays, memory-mapped when read (several web
  processes share one copy through the page cache): `keys.npy` (the words, as sorted
  64-bit hashes), `indptr.npy` (where each word's postings start), `rows.npy` and
  `tfs.npy` (the postings: document row and term frequency), `ids.npy` (the candidate of
  each row) and `lengths.npy` (each document's length in words);
- the main segment, built by `rebuild`; a small delta segment holding the CVs added or
  changed since, rewritten (it is small) at each change and merged into a new main
  segment when it passes `DELTA_LIMIT` documents; `docs.json` in it keeps its documents'
  words so that it can be rewritten;
- `manifest.json`, replaced atomically: which segments are live, the candidates removed
  since the main segment was built (the tombstones: a removed or erased candidate is never
  returned) and a stamp of the organisation (so that an index left by another database
  whose organisation has the same id is never read).

A candidate's live document is the one in the delta when it has one there, else the main
one; a removed candidate has none. Writers take an exclusive lock (`lock`) on the folder;
readers take none: they read the manifest, then the segments it names.

An organisation's index that does not exist yet is built from the database at its first
search (a big bank is better built ahead with `relance match --rebuild`); an index is only
ever a copy of the database, so a node of a cluster rebuilds its own (docs/matching.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from relance.matching import text as words_of

# BM25's usual constants (Robertson; Lucene's defaults).
K1 = 1.2
B = 0.75
# The delta segment is rewritten whole at each change: past this many documents it is
# merged into a new main segment.
DELTA_LIMIT = 2000
# Documents read from the database at a time by a rebuild.
BATCH = 2000
VERSION = 1

Progress = Callable[[int, int], None]


def root() -> Path:
    """Where the indexes live: MATCHING_INDEX_DIR (tests set it), else the data dir."""
    configured = getattr(settings, "MATCHING_INDEX_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "matching"


def folder(org_id: int) -> Path:
    return root() / str(int(org_id))


def key(stem: str) -> int:
    """A word's key: 64 bits of BLAKE2b, stable across processes and runs (Python's own
    hash is salted per process)."""
    return int.from_bytes(hashlib.blake2b(stem.encode(), digest_size=8).digest(), "little")


def document(cv_text: str, names: Iterable[str]) -> list[str]:
    """The words a CV is indexed by: protected information and the person's names out,
    then stemmed. The same function prepares a CV for the score (matching/score.py)."""
    cleaned = words_of.without_names(words_of.without_personal(cv_text), list(names))
    return words_of.stems(cleaned)


# -- segments ---------------------------------------------------------------------------


@dataclass
class Segment:
    keys: np.ndarray[Any, Any]
    indptr: np.ndarray[Any, Any]
    rows: np.ndarray[Any, Any]
    tfs: np.ndarray[Any, Any]
    ids: np.ndarray[Any, Any]
    lengths: np.ndarray[Any, Any]
    docs: dict[int, list[str]] = field(default_factory=dict)  # the delta's documents only

    def postings(self, word: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        at = int(np.searchsorted(self.keys, np.uint64(word)))
        if at >= len(self.keys) or int(self.keys[at]) != word:
            return _EMPTY_ROWS, _EMPTY_TFS
        start, end = int(self.indptr[at]), int(self.indptr[at + 1])
        return self.rows[start:end], self.tfs[start:end]


_EMPTY_ROWS = np.zeros(0, dtype=np.int32)
_EMPTY_TFS = np.zeros(0, dtype=np.uint16)
_ARRAYS = ("keys", "indptr", "rows", "tfs", "ids", "lengths")


def _coo(documents: Iterable[tuple[int, list[str]]], first_row: int = 0) -> tuple[Any, ...]:
    """(ids, lengths, keys, rows) of the documents: one (key, row) per word occurrence."""
    ids: list[int] = []
    lengths: list[int] = []
    keys: list[int] = []
    rows: list[int] = []
    cache: dict[str, int] = {}
    for row, (candidate, stems) in enumerate(documents, start=first_row):
        ids.append(candidate)
        lengths.append(len(stems))
        for stem in stems:
            word = cache.get(stem)
            if word is None:
                word = cache[stem] = key(stem)
            keys.append(word)
        rows.extend([row] * len(stems))
    return (
        np.array(ids, dtype=np.int64),
        np.array(lengths, dtype=np.int32),
        np.array(keys, dtype=np.uint64),
        np.array(rows, dtype=np.int32),
    )


def _counted(keys: Any, rows: Any) -> tuple[Any, Any, Any]:
    """Occurrences to postings: sorted by (key, row), one per pair with its frequency."""
    if len(keys) == 0:
        return keys, rows, np.zeros(0, dtype=np.uint16)
    order = np.lexsort((rows, keys))
    keys, rows = keys[order], rows[order]
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]) | (rows[1:] != rows[:-1])])
    counts = np.diff(np.r_[starts, len(keys)])
    return keys[starts], rows[starts], np.minimum(counts, 65535).astype(np.uint16)


def _write(
    path: Path, ids: Any, lengths: Any, keys: Any, rows: Any, tfs: Any, docs: Any = None
) -> None:
    """A segment from its postings (sorted by key, then row) into a new folder."""
    path.mkdir(parents=True)
    words, starts = np.unique(keys, return_index=True)
    indptr = np.r_[starts, len(keys)].astype(np.int64)
    arrays = {
        "keys": words.astype(np.uint64),
        "indptr": indptr,
        "rows": rows.astype(np.int32),
        "tfs": tfs.astype(np.uint16),
        "ids": ids.astype(np.int64),
        "lengths": lengths.astype(np.int32),
    }
    for name, array in arrays.items():
        np.save(path / f"{name}.npy", array)
    if docs is not None:
        (path / "docs.json").write_text(json.dumps({str(k): v for k, v in docs.items()}))


def _segment_of(documents: dict[int, list[str]], path: Path, keep_docs: bool) -> None:
    ordered = sorted(documents.items())
    ids, lengths, keys, rows = _coo(ordered)
    keys, rows, tfs = _counted(keys, rows)
    _write(path, ids, lengths, keys, rows, tfs, documents if keep_docs else None)


def _read(path: Path, with_docs: bool) -> Segment:
    arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
    docs: dict[int, list[str]] = {}
    if with_docs and (path / "docs.json").exists():
        docs = {int(k): v for k, v in json.loads((path / "docs.json").read_text()).items()}
    return Segment(**arrays, docs=docs)


# -- the index as a reader sees it -------------------------------------------------------


@dataclass
class Index:
    segments: list[Segment]
    live: list[np.ndarray[Any, Any]]  # per segment, which rows are live documents
    count: int
    total_length: int

    def search(self, query_stems: Iterable[str], limit: int) -> list[tuple[int, float]]:
        if self.count == 0 or limit <= 0:
            return []
        average = self.total_length / self.count
        scores = [np.zeros(len(segment.ids), dtype=np.float64) for segment in self.segments]
        # Sorted keys: each document's sum is made in one order whatever the query's word
        # order and whatever segment holds it, so the floats come out the same.
        for word in sorted({key(stem) for stem in query_stems}):
            found = []
            for segment, live in zip(self.segments, self.live, strict=True):
                rows, tfs = segment.postings(word)
                if len(rows):
                    alive = live[rows]
                    rows, tfs = rows[alive], tfs[alive]
                found.append((rows, tfs))
            frequency = sum(len(rows) for rows, _ in found)
            if frequency == 0:
                continue
            idf = math.log(1 + (self.count - frequency + 0.5) / (frequency + 0.5))
            for (rows, tfs), segment, sums in zip(found, self.segments, scores, strict=True):
                if not len(rows):
                    continue
                tf = tfs.astype(np.float64)
                norm = K1 * (1 - B + B * segment.lengths[rows] / average)
                sums[rows] += idf * tf * (K1 + 1) / (tf + norm)
        ids = np.concatenate([segment.ids for segment in self.segments])
        values = np.concatenate(scores)
        hits = np.flatnonzero(values > 0)
        if len(hits) > limit:
            # Everything at or above the limit-th best score, so that ties are cut by id.
            threshold = np.partition(values[hits], len(hits) - limit)[len(hits) - limit]
            hits = hits[values[hits] >= threshold]
        order = np.lexsort((ids[hits], -values[hits]))[:limit]
        return [(int(ids[hits[i]]), float(values[hits[i]])) for i in order]


_cache: dict[int, tuple[tuple[int, int, str], Index]] = {}
_cache_lock = threading.Lock()


def _manifest(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / "manifest.json").read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def _stamp(org_id: int) -> str:
    from relance.people.models import Organisation

    created = Organisation.objects.filter(id=org_id).values_list("created_at", flat=True).first()
    return f"{int(org_id)}:{created.isoformat() if created else ''}"


def _open(org_id: int) -> Index | None:
    """The organisation's index as on disk now (cached per process until the manifest
    changes), or None when it has none (or one left by another database)."""
    path = folder(org_id)
    stamp = _stamp(org_id)
    try:
        status = (path / "manifest.json").stat()
    except OSError:
        return None
    version = (status.st_ino, status.st_mtime_ns, stamp)
    with _cache_lock:
        cached = _cache.get(org_id)
        if cached and cached[0] == version:
            return cached[1]
    manifest = _manifest(path)
    if not manifest or manifest.get("stamp") != stamp or manifest.get("version") != VERSION:
        return None
    try:
        main = _read(path / manifest["main"], with_docs=False)
        delta = _read(path / manifest["delta"], with_docs=False) if manifest["delta"] else None
    except OSError:  # replaced while we read: a writer just moved on
        return None
    removed = np.array(sorted(manifest["removed"]), dtype=np.int64)
    segments = [main] + ([delta] if delta is not None else [])
    gone = np.union1d(removed, delta.ids) if delta is not None else removed
    live = [~np.isin(main.ids, gone)]
    if delta is not None:
        live.append(~np.isin(delta.ids, removed))
    count = int(sum(int(mask.sum()) for mask in live))
    total = int(sum(int(s.lengths[mask].sum()) for s, mask in zip(segments, live, strict=True)))
    index = Index(segments, live, count, total)
    with _cache_lock:
        _cache[org_id] = (version, index)
    return index


def search(org_id: int, query_stems: Iterable[str], limit: int) -> list[tuple[int, float]]:
    """The best `limit` candidates for these words: (candidate id, raw BM25), best first,
    ties by candidate id. Builds the index from the database if there is none yet."""
    stems = list(query_stems)
    index = _open(org_id)
    if index is None:
        rebuild(org_id)
        index = _open(org_id)
    return index.search(stems, limit) if index is not None else []


def statistics(org_id: int) -> tuple[int, float]:
    """(live documents, average length): what a caller normalising BM25 needs."""
    index = _open(org_id)
    if index is None or index.count == 0:
        return 0, 0.0
    return index.count, index.total_length / index.count


def idf(org_id: int, stems: Iterable[str]) -> dict[str, float]:
    """Each word's IDF in the live index (0 for a word no CV has)."""
    index = _open(org_id)
    result: dict[str, float] = {}
    for stem in stems:
        frequency = 0
        if index is not None:
            word = key(stem)
            for segment, live in zip(index.segments, index.live, strict=True):
                rows, _ = segment.postings(word)
                frequency += int(live[rows].sum()) if len(rows) else 0
        result[stem] = (
            math.log(1 + (index.count - frequency + 0.5) / (frequency + 0.5))
            if index is not None and frequency
            else 0.0
        )
    return result


# -- writing ---------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.mkdir(parents=True, exist_ok=True)
    with open(path / "lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _publish(path: Path, manifest: dict[str, Any]) -> None:
    """The new manifest in place at once (a reader sees the old or the new one), then the
    segments no longer named removed (a reader that mapped them keeps its mapping)."""
    handle, temporary = tempfile.mkstemp(dir=path, prefix=".manifest-")
    with os.fdopen(handle, "w") as out:
        json.dump(manifest, out)
    os.replace(temporary, path / "manifest.json")
    named = {manifest["main"], manifest["delta"]}
    for entry in path.iterdir():
        if entry.is_dir() and entry.name.startswith("seg-") and entry.name not in named:
            shutil.rmtree(entry, ignore_errors=True)


def _new_segment_name() -> str:
    return f"seg-{uuid.uuid4().hex[:12]}"


def documents(org_id: int) -> Iterator[tuple[int, list[str]]]:
    """Every candidate's document, from the database: the latest CV that has text (a later
    scanned CV with none does not hide the earlier one), candidates anonymised left out."""
    from relance.intake.models import CV

    rows = (
        CV.objects.filter(organisation_id=org_id, candidate__anonymised_at__isnull=True)
        .exclude(text="")
        .order_by("candidate_id", "-uploaded_at", "-id")
        .values_list("candidate_id", "text", "candidate__first_name", "candidate__last_name")
    )
    previous = None
    for candidate, cv_text, first, last in rows.iterator(chunk_size=BATCH):
        if candidate == previous:
            continue
        previous = candidate
        yield candidate, document(cv_text, [first, last])


def count_documents(org_id: int) -> int:
    from relance.intake.models import CV

    return (
        CV.objects.filter(organisation_id=org_id, candidate__anonymised_at__isnull=True)
        .exclude(text="")
        .values("candidate_id")
        .distinct()
        .count()
    )


def rebuild(org_id: int, progress: Progress | None = None) -> int:
    """The organisation's index built anew from the database; returns how many CVs."""
    path = folder(org_id)
    total = count_documents(org_id) if progress else 0
    ids, lengths, keys, rows, tfs = [], [], [], [], []
    done = 0
    batch: list[tuple[int, list[str]]] = []

    def flush() -> None:
        nonlocal done
        if not batch:
            return
        i, n, k, r = _coo(batch, first_row=done)
        k, r, t = _counted(k, r)
        ids.append(i)
        lengths.append(n)
        keys.append(k)
        rows.append(r)
        tfs.append(t)
        done += len(batch)
        batch.clear()
        if progress:
            progress(done, max(total, done))

    for item in documents(org_id):
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
    flush()
    with _locked(path):
        name = _new_segment_name()
        all_keys = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
        all_rows = np.concatenate(rows) if rows else np.zeros(0, np.int32)
        all_tfs = np.concatenate(tfs) if tfs else np.zeros(0, np.uint16)
        order = np.lexsort((all_rows, all_keys))
        _write(
            path / name,
            np.concatenate(ids) if ids else np.zeros(0, np.int64),
            np.concatenate(lengths) if lengths else np.zeros(0, np.int32),
            all_keys[order],
            all_rows[order],
            all_tfs[order],
        )
        manifest = {
            "version": VERSION,
            "stamp": _stamp(org_id),
            "main": name,
            "delta": None,
            "removed": [],
        }
        _publish(path, manifest)
    return done


def _change(org_id: int, candidate_id: int, stems: list[str] | None) -> bool:
    """A candidate's document put in the delta (stems) or removed (None). Nothing when the
    organisation has no index yet: its first search builds it from the database."""
    path = folder(org_id)
    if _manifest(path) is None:
        return False
    with _locked(path):
        manifest = _manifest(path)
        if not manifest or manifest.get("stamp") != _stamp(org_id):
            return False
        delta = _read(path / manifest["delta"], with_docs=True) if manifest["delta"] else None
        docs = dict(delta.docs) if delta is not None else {}
        removed = set(manifest["removed"])
        if stems is None:
            docs.pop(candidate_id, None)
            removed.add(candidate_id)
        else:
            docs[candidate_id] = stems
            removed.discard(candidate_id)
        if len(docs) > DELTA_LIMIT:
            manifest = _merged(path, manifest, docs, removed)
        else:
            name = _new_segment_name()
            _segment_of(docs, path / name, keep_docs=True)
            manifest = {**manifest, "delta": name, "removed": sorted(removed)}
        _publish(path, manifest)
    return True


def _merged(
    path: Path, manifest: dict[str, Any], docs: dict[int, list[str]], removed: set[int]
) -> dict[str, Any]:
    """A new main segment: the old one's live documents and the delta's."""
    main = _read(path / manifest["main"], with_docs=False)
    gone = np.array(sorted(removed | set(docs)), dtype=np.int64)
    keep = ~np.isin(main.ids, gone)
    renumber = np.cumsum(keep) - 1
    words = np.repeat(np.asarray(main.keys), np.diff(np.asarray(main.indptr)))
    alive = keep[main.rows]
    old_keys, old_rows, old_tfs = words[alive], renumber[main.rows[alive]], main.tfs[alive]
    kept = int(keep.sum())
    ids, lengths, keys, rows = _coo(sorted(docs.items()), first_row=kept)
    keys, rows, tfs = _counted(keys, rows)
    all_keys = np.concatenate([old_keys, keys])
    all_rows = np.concatenate([old_rows.astype(np.int32), rows])
    all_tfs = np.concatenate([np.asarray(old_tfs), tfs])
    order = np.lexsort((all_rows, all_keys))
    name = _new_segment_name()
    _write(
        path / name,
        np.concatenate([np.asarray(main.ids)[keep], ids]),
        np.concatenate([np.asarray(main.lengths)[keep], lengths]),
        all_keys[order],
        all_rows[order],
        all_tfs[order],
    )
    # Removed candidates are out of the new main segment: no tombstone needed any more.
    return {**manifest, "main": name, "delta": None, "removed": []}


def _merge_now(org_id: int) -> None:
    """The delta merged into the main segment now (tests; a quiet moment)."""
    path = folder(org_id)
    with _locked(path):
        manifest = _manifest(path)
        if not manifest:
            return
        delta = _read(path / manifest["delta"], with_docs=True) if manifest["delta"] else None
        docs = dict(delta.docs) if delta is not None else {}
        _publish(path, _merged(path, manifest, docs, set(manifest["removed"])))


def put(org_id: int, candidate_id: int, stems: list[str]) -> bool:
    """A new or changed CV searchable at once (in the delta segment)."""
    return _change(org_id, candidate_id, stems)


def remove(org_id: int, candidate_id: int) -> bool:
    """A candidate never returned again (erased, anonymised, no CV left)."""
    return _change(org_id, candidate_id, None)


def refresh_candidate(org_id: int, candidate_id: int) -> bool:
    """The candidate's document as the database has it now: put, or removed if none."""
    from relance.intake.models import CV

    if _manifest(folder(org_id)) is None:
        return False  # no index yet: its first search reads the database
    row = (
        CV.objects.filter(
            organisation_id=org_id, candidate_id=candidate_id, candidate__anonymised_at__isnull=True
        )
        .exclude(text="")
        .order_by("-uploaded_at", "-id")
        .values_list("text", "candidate__first_name", "candidate__last_name")
        .first()
    )
    if row is None:
        return remove(org_id, candidate_id)
    return put(org_id, candidate_id, document(row[0], [row[1], row[2]]))
