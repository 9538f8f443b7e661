"""`gateway translate FILE...`: canonical events as JSON lines, no database.

Exit status: 0 when every file was read and mapped, 1 when some transaction set was rejected by
its issues, 2 when some file could not be read at all (a one-line typed error on stderr names
the file and the position). Sets we have no map for are reported on stderr as skipped.

Large X12 and EDIFACT files are mapped in worker processes (`--jobs`, by default one per CPU for
files of `PARALLEL_BYTES` or more): this process reads and checks the envelopes and hands the sets
(or messages), as the text the reader cut, in batches to the workers, which map them and render
their JSON lines and issue lines; the results are written in file order, with at most a few
batches in flight, so the output is byte for byte the serial one and memory stays bounded whatever
the file's size.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import multiprocessing.queues
import os
import sys
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import BinaryIO, TextIO

from gateway.errors import FormatError, GatewayError
from gateway.formats import detect
from gateway.formats.edifact import model as edifact
from gateway.formats.issues import Issue, Severity
from gateway.formats.x12 import model as x12
from gateway.kit import ids
from gateway.mapping import MapRegistry
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline import edifact_translate
from gateway.pipeline import translate as pipeline

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2
PARALLEL_BYTES = 2_000_000  # smaller files are not worth starting workers for
BATCH_SEGMENTS = 4_000  # segments per batch handed to a worker
IN_FLIGHT_PER_JOB = 4  # batches queued or being mapped per worker
_UNITS = {"x12": "set", "edifact": "message"}  # what one document is called, per format

# What one batch gives back: JSON lines, stderr lines, whether a set was rejected, and the line of
# the error that stopped the file (None when none did).
Rendered = tuple[str, str, bool, str | None]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_issue(issue: Issue) -> str:
    return f"{issue.severity}: {issue.code}: {issue.location.describe()}: {issue.message}"


def describe_failure(exc: FormatError | OSError | GatewayError, name: str) -> str:
    """The one line that says why a file could not be translated (further)."""
    if isinstance(exc, FormatError):
        return exc.describe() + "\n"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {name}: {exc.strerror or exc}\n"
    return f"{type(exc).__name__}: {name}: {exc.detail}\n"


def render_outcome(item: pipeline.DocumentOutcome, name: str) -> tuple[str, str]:
    """The JSON lines and the stderr lines of one document."""
    lines = []
    if item.skipped is not None:
        unit = _UNITS.get(item.format, "document")
        lines.append(f"skipped: {name} {unit} {item.control_number} ({item.doc_type}): {item.skipped}\n")
    lines += [describe_issue(issue) + "\n" for issue in item.issues]
    if item.json_lines is not None:
        return item.json_lines, "".join(lines)
    return "".join([f"{event.model_dump_json()}\n" for event in item.events]), "".join(lines)


def render_note(issues: Sequence[Issue]) -> tuple[str, bool]:
    """The stderr lines of envelope-level issues and whether one is an error."""
    text = "".join(describe_issue(issue) + "\n" for issue in issues)
    return text, any(issue.severity is Severity.ERROR for issue in issues)


def translate_files(
    files: list[Path],
    *,
    maps: MapRegistry,
    partners: PartnerRegistry | None,
    partner_id: str | None,
    out: TextIO,
    err: TextIO,
    jobs: int | None = 1,
) -> int:
    """Translate each file; returns the exit status.

    `jobs`: worker processes for large files (None: one per CPU; 1: everything in this process).
    """
    workers = _jobs(jobs)
    pool: Pool | None = None
    status = EXIT_OK
    try:
        for path in files:
            name = str(path)
            try:
                sha = file_sha256(path)
                with path.open("rb") as fp:
                    fmt = (
                        pipeline.sniff(fp)
                        if workers > 1 and (jobs is not None or path.stat().st_size >= PARALLEL_BYTES)
                        else None
                    )
                    if fmt is detect.Format.X12:
                        pool = pool or _pool(workers, maps, partners)
                        found = _parallel(fp, pool, workers, name, sha, partners, partner_id, out, err)
                    elif fmt is detect.Format.EDIFACT:
                        found = _shared_edifact(path, workers, sha, maps, partners, partner_id, out, err)
                    else:
                        ctx = pipeline.TranslateContext(
                            content_sha256=sha,
                            maps=maps,
                            partners=partners,
                            partner_id=partner_id,
                            file_name=name,
                            as_json=True,
                        )
                        found = _serial(fp, ctx, out, err)
                    status = max(status, found)
            except (FormatError, OSError, GatewayError) as exc:
                err.write(describe_failure(exc, name))
                status = EXIT_UNREADABLE
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    out.flush()
    return status


def _jobs(jobs: int | None) -> int:
    if jobs is not None:
        return max(1, jobs)
    if not hasattr(os, "fork"):
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _serial(fp: BinaryIO, ctx: pipeline.TranslateContext, out: TextIO, err: TextIO) -> int:
    status = EXIT_OK
    name = ctx.file_name or ""
    for item in pipeline.documents(fp, ctx):
        if isinstance(item, pipeline.EnvelopeNote):
            events = ""
            lines, bad = render_note(item.issues)
        else:
            events, lines = render_outcome(item, name)
            bad = item.rejected
        if bad:
            status = max(status, EXIT_REJECTED)
        if lines:
            err.write(lines)
        if events:
            out.write(events)
    return status


# -- worker processes --------------------------------------------------------------------------------

# A batch of transaction sets as sent to a worker: the envelope and the partner they share, and each
# set as text (`pipeline.set_text`).
_WireSet = pipeline.SetText
_Batch = tuple[x12.InterchangeHeader, x12.GroupHeader | None, str | None, str, list[_WireSet]]

_worker_maps: MapRegistry | None = None
_worker_partners: PartnerRegistry | None = None


class _Stopped(Exception):
    """A set failed in a way that ends its file (its line is written)."""


def _pool(jobs: int, maps: MapRegistry, partners: PartnerRegistry | None) -> Pool:
    """Workers forked from this process, so they share its loaded maps and partners as they are.

    The objects alive at the fork are frozen for the garbage collector meanwhile (`gc.freeze`): the
    workers' collections then never walk them, which would write to every page they sit on and so
    copy the whole inherited heap into each worker."""
    gc.freeze()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork() while threads run (Python 3.12+)
            return multiprocessing.get_context("fork").Pool(jobs, _init_worker, (maps, partners))
    finally:
        gc.unfreeze()  # this process collects them as before


def _init_worker(maps: MapRegistry, partners: PartnerRegistry | None) -> None:
    global _worker_maps, _worker_partners
    _worker_maps, _worker_partners = maps, partners


def _wire(ts: x12.TransactionSet) -> _WireSet:
    return pipeline.set_text(ts)


def _unwire(
    interchange: x12.InterchangeHeader, group: x12.GroupHeader | None, wire: _WireSet
) -> x12.TransactionSet:
    return pipeline.set_of_text(interchange, group, wire)


def _map_batch(name: str, sha: str, batch: _Batch) -> Rendered:
    """In a worker: map a batch of sets and render them (as `render_outcome` renders their outcomes)."""
    maps, partners = _worker_maps, _worker_partners
    assert maps is not None
    interchange, group, cid, pid, sets = batch
    config = partners.get(cid) if partners is not None and cid is not None else None
    events: list[str] = []
    lines: list[str] = []
    rejected = False
    for wire in sets:
        ts = _unwire(interchange, group, wire)
        try:
            text, issues, skipped = pipeline.map_set_json(
                ts, config, pid, maps, document_id=ids.document_id(sha, ts.ordinal), file_name=name
            )
        except GatewayError as exc:
            return "".join(events), "".join(lines), rejected, describe_failure(exc, name)
        if skipped is not None:
            lines.append(f"skipped: {name} set {ts.control_number} ({ts.set_id}): {skipped}\n")
        lines += [describe_issue(issue) + "\n" for issue in issues]
        if text is not None:
            events.append(text)
        rejected = rejected or any(i.severity is Severity.ERROR for i in issues)
    return "".join(events), "".join(lines), rejected, None


def _parallel(
    fp: BinaryIO,
    pool: Pool,
    jobs: int,
    name: str,
    sha: str,
    partners: PartnerRegistry | None,
    partner_id: str | None,
    out: TextIO,
    err: TextIO,
) -> int:
    status = EXIT_OK
    pending: deque[AsyncResult[Rendered] | Rendered] = deque()
    batch: list[_WireSet] = []
    shared: tuple[x12.InterchangeHeader, x12.GroupHeader | None, str | None, str] | None = None
    size = 0

    def settle(limit: int) -> None:
        nonlocal status
        while len(pending) > limit:
            entry = pending.popleft()
            events, lines, rejected, failure = entry.get() if isinstance(entry, AsyncResult) else entry
            if lines:
                err.write(lines)
            if events:
                out.write(events)
            if rejected:
                status = max(status, EXIT_REJECTED)
            if failure is not None:
                err.write(failure)
                status = EXIT_UNREADABLE
                raise _Stopped

    def send() -> None:
        nonlocal batch, size
        if batch:
            assert shared is not None
            pending.append(pool.apply_async(_map_batch, (name, sha, (*shared, batch))))
            batch, size = [], 0
            settle(jobs * IN_FLIGHT_PER_JOB)

    try:
        try:
            for item in pipeline.read_x12(fp, partners=partners, partner_id=partner_id, file_name=name):
                if isinstance(item, pipeline.PendingSet):
                    ts, config, pid = item
                    cid = config.id if config is not None else None
                    if shared is None or not (
                        shared[0] is ts.interchange and shared[1] is ts.group and shared[2:] == (cid, pid)
                    ):
                        send()
                        shared = (ts.interchange, ts.group, cid, pid)
                    batch.append(_wire(ts))
                    size += len(ts.segments)
                    if size >= BATCH_SEGMENTS:
                        send()
                    continue
                if isinstance(item, x12.GroupClosed | x12.InterchangeClosed) and item.issues:
                    lines, bad = render_note(item.issues)  # as `pipeline.x12_documents` notes them
                    send()
                    pending.append(("", lines, bad, None))
            send()
        except (FormatError, OSError, GatewayError):
            settle(0)  # what came before the failure is written first, as in the serial order
            raise
        settle(0)
    except _Stopped:
        pass
    return status


# -- EDIFACT: shared reading ---------------------------------------------------------------------------
#
# Handing EDIFACT messages to workers costs this process more than reading them (their segments
# must be sent as text and cut again: measured, this process then used 2.0 s of CPU on a 20 MB
# interchange that takes 3.4 s alone), so every process reads the whole file itself, with the same
# reader and envelope checks, and maps only its share: the file is cut into chunks of about
# `BATCH_SEGMENTS` segments at message boundaries, the same way in every process (the reading is
# deterministic), and process k of n maps and renders chunks k, k + n, ... (a chunk's envelope
# notes included); the messages of other chunks it frames without splitting their segments
# (`skip`). This process is number 0 and writes its own chunks; the n - 1 forked workers send
# theirs through bounded queues (at most `IN_FLIGHT_PER_JOB` chunks ahead), and everything is
# written in file order. An error that ends the file (a format error, a mapping error) ends the
# chunk it falls in: that chunk's process renders what came before it and the error's line, and
# nothing after it is written.


def _chunks(
    k: int,
    n: int,
    path: str,
    sha: str,
    maps: MapRegistry,
    partners: PartnerRegistry | None,
    partner_id: str | None,
) -> Iterator[tuple[int, Rendered]]:
    """Process k of n: read the whole file; each chunk that is k's, mapped and rendered, with its
    number. The last one is the file's last chunk, or the one an error ended (with its line)."""
    chunk = size = 0
    mine = k == 0
    events: list[str] = []
    lines: list[str] = []
    rejected = False
    try:
        with open(path, "rb") as fp:
            items = edifact_translate.read_edifact(
                fp, partners=partners, partner_id=partner_id, file_name=path, skip=lambda: not mine
            )
            for item in items:
                if isinstance(item, edifact_translate.PendingMessage):
                    if mine:
                        mapped = edifact_translate.map_message(
                            item.message,
                            item.partner,
                            item.partner_id,
                            maps,
                            content_sha256=sha,
                            file_name=path,
                            as_json=True,
                        )
                        outcome = mapped.outcome()
                        text, issue_lines = render_outcome(outcome, path)
                        events.append(text)
                        lines.append(issue_lines)
                        rejected = rejected or outcome.rejected
                    size += len(item.message.segments)
                    if size >= BATCH_SEGMENTS:
                        if mine:
                            yield chunk, ("".join(events), "".join(lines), rejected, None)
                            events, lines, rejected = [], [], False
                        chunk, size = chunk + 1, 0
                        mine = chunk % n == k
                elif (
                    mine and isinstance(item, edifact.GroupClosed | edifact.InterchangeClosed) and item.issues
                ):
                    note, bad = render_note(
                        item.issues
                    )  # as `edifact_translate.edifact_documents` notes them
                    lines.append(note)
                    rejected = rejected or bad
    except (FormatError, OSError, GatewayError) as exc:
        if mine:
            yield chunk, ("".join(events), "".join(lines), rejected, describe_failure(exc, path))
        return
    if mine:
        yield chunk, ("".join(events), "".join(lines), rejected, None)


def _share_worker(
    k: int,
    n: int,
    path: str,
    sha: str,
    maps: MapRegistry,
    partners: PartnerRegistry | None,
    partner_id: str | None,
    queue: multiprocessing.queues.Queue,  # type: ignore[type-arg]
) -> None:
    """A forked worker: its chunks into its queue, then None (it has no further chunk)."""
    for _, rendered in _chunks(k, n, path, sha, maps, partners, partner_id):
        queue.put(rendered)
    queue.put(None)


def _shared_edifact(
    path: Path,
    jobs: int,
    sha: str,
    maps: MapRegistry,
    partners: PartnerRegistry | None,
    partner_id: str | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """Translate one EDIFACT file with this process and `jobs - 1` workers sharing the reading."""
    ctx = multiprocessing.get_context("fork")
    queues = {k: ctx.Queue(maxsize=IN_FLIGHT_PER_JOB) for k in range(1, jobs)}
    procs = [
        ctx.Process(
            target=_share_worker,
            args=(k, jobs, str(path), sha, maps, partners, partner_id, queue),
            daemon=True,
        )
        for k, queue in queues.items()
    ]
    gc.freeze()  # see `_pool`
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork() while threads run (Python 3.12+)
            for proc in procs:
                proc.start()
    finally:
        gc.unfreeze()
    status = EXIT_OK
    following = 0  # the next chunk to write

    def write(rendered: Rendered) -> bool:
        """Write one chunk; False when it ends the file."""
        nonlocal status
        events, lines, rejected, failure = rendered
        if lines:
            err.write(lines)
        if events:
            out.write(events)
        if rejected:
            status = max(status, EXIT_REJECTED)
        if failure is not None:
            err.write(failure)
            status = EXIT_UNREADABLE
            return False
        return True

    def workers_until(stop: int | None) -> bool:
        """Write the workers' chunks before chunk `stop` (None: all they have left); False when
        one ends the file or a worker has no further chunk."""
        nonlocal following
        while stop is None or following < stop:
            owner = following % jobs
            if owner == 0:
                return True  # this process's chunk: it has none left (stop is None)
            got: Rendered | None = queues[owner].get()
            if got is None or not write(got):
                return False
            following += 1
        return True

    try:
        going = True
        for chunk, rendered in _chunks(0, jobs, str(path), sha, maps, partners, partner_id):
            going = workers_until(chunk) and write(rendered)
            following = chunk + 1
            if not going:
                break
        if going:
            workers_until(None)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
        for queue in queues.values():
            queue.close()
            queue.cancel_join_thread()
    return status


def run(
    files: list[Path],
    *,
    maps_dir: Path,
    partners_dir: Path | None,
    partner_id: str | None,
    jobs: int | None = None,
) -> int:
    from gateway.partners.registry import load_partners

    maps = MapRegistry.load(maps_dir)
    partners = load_partners(partners_dir) if partners_dir is not None and partners_dir.is_dir() else None
    return translate_files(
        files, maps=maps, partners=partners, partner_id=partner_id, out=sys.stdout, err=sys.stderr, jobs=jobs
    )
