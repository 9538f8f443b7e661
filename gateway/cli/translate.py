"""`gateway translate FILE...`: canonical events as JSON lines, no database.

Exit status: 0 when every file was read and mapped, 1 when some transaction set was rejected by
its issues, 2 when some file could not be read at all (a one-line typed error on stderr names
the file and the position). Sets we have no map for are reported on stderr as skipped.

Large X12 and EDIFACT files are translated by several processes (`--jobs`, by default one per CPU
for files of `PARALLEL_BYTES` or more) that share the reading: each reads the whole file with the
same reader and envelope checks, maps its own chunks of it and writes each in its turn, with at
most a few rendered ahead, so the output is byte for byte the serial one and memory stays bounded
whatever the file's size (see "shared reading" below).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import multiprocessing.process
import os
import select
import shutil
import sys
import tempfile
import warnings
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple, TextIO

from gateway.errors import FormatError, GatewayError
from gateway.formats import detect
from gateway.mapping import MapRegistry
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline import translate as pipeline
from gateway.pipeline.shared_read import (
    Rendered,
    Share,
    SharedFile,
    chunks,
    describe_failure,
    render_note,
    render_outcome,
)

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2
PARALLEL_BYTES = 2_000_000  # smaller files are not worth starting workers for
BATCH_SEGMENTS = 4_000  # segments per chunk (a chunk ends with the document that reaches it)
IN_FLIGHT_PER_JOB = 4  # chunks a process may have rendered ahead of its turn to write them
# Bytes each process sharing the reading of an EDIFACT file reads at a time: less than a process
# alone reads (the buffers are held once per process).
SHARED_READ_BYTES = 1 << 18


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    status = EXIT_OK
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
                if fmt is detect.Format.X12 or fmt is detect.Format.EDIFACT:
                    shared = SharedFile(fmt, name, sha, maps, partners, partner_id)
                    found = _shared(shared, workers, out, err)
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


# -- shared reading ------------------------------------------------------------------------------------
#
# Handing documents to workers costs this process more than reading them (EDIFACT messages must be
# sent as text and cut again: measured, this process then used 2.0 s of CPU on a 20 MB interchange
# that takes 3.4 s alone; X12 sets handed over in compiled code still cost about a third more CPU
# than translating alone), so every process reads the whole file itself, with the same reader and
# envelope checks, and maps only its share: the file is cut into chunks of about `BATCH_SEGMENTS`
# segments at document boundaries, the same way in every process (the reading is deterministic),
# and process k of n maps and renders chunks k, k + n, ... (a chunk's envelope notes included);
# EDIFACT messages of other chunks are framed only (`skip`: segments counted, not split), X12 sets
# are left as the text the reader cut. This process is number 0; the n - 1 others are forked. Each
# writes its own chunks straight to the output (handing them to this process to write cost it more
# than rendering them: measured, 855 acknowledgments give four times their size in JSON), in file
# order: the turn goes round as a token (`_Ring`), and a process renders at most
# `IN_FLIGHT_PER_JOB` chunks ahead of its turn. Output that is no file (an io.StringIO) is collected
# in temporary files and copied. An error that ends the file (a format error, a mapping error) ends
# the chunk it falls in: that chunk's process writes what came before it and the error's line, and
# nothing after it is written. The reading, mapping and rendering of a process's chunks, which runs
# once per document, is `gateway.pipeline.shared_read.chunks` (compiled in a native build); the
# processes, the ring and the writing are here.

# The turn to write goes round the processes as a one-byte token through a ring of pipes (chunk c
# is process c % n's, so each process hands it to the next): it carries the exit status so far, and
# STOP when a chunk ended the file early (a mapping error in its process). The token for the chunk
# after the last one goes to this process, which then knows the file is written and its status.
_STOP = 0x80


class _Ring:
    """The pipes of the token ring: `reads[k]` is process k's end, `writes[k]` the end its
    predecessor (and, for k = 0, every worker) writes to."""

    def __init__(self, n: int) -> None:
        self.n = n
        pipes = [os.pipe() for _ in range(n)]
        self.reads = [r for r, _ in pipes]
        self.writes = [w for _, w in pipes]

    def keep(self, k: int) -> None:
        """Close the ends process k does not use (so that a process that dies ends its successor's wait)."""
        used = {self.reads[k], self.writes[(k + 1) % self.n], self.writes[0] if k else -1}
        for fd in (*self.reads, *self.writes):
            if fd not in used:
                os.close(fd)

    def close(self, k: int) -> None:
        for fd in {self.reads[k], self.writes[(k + 1) % self.n], self.writes[0] if k else -1} - {-1}:
            os.close(fd)

    def ready(self, k: int) -> bool:
        return bool(select.select([self.reads[k]], [], [], 0)[0])

    def take(self, k: int, watch: Sequence[multiprocessing.process.BaseProcess] = ()) -> int:
        """Wait for the token; `watch`: the workers whose death while waiting is an error."""
        fd = self.reads[k]
        while watch and not select.select([fd], [], [], 0.2)[0]:
            if any(proc.exitcode not in (None, 0) for proc in watch):
                raise _stopped(watch)
        got = os.read(fd, 1)
        if got:
            return got[0]
        # Every process that could hand it on has ended: for a worker, its predecessor stopped early
        # (the file ended there, reported by the one that stopped it).
        if k:
            return _STOP
        raise _stopped(watch)

    def give(self, k: int, token: int) -> bool:
        """Hand the token to process k; False when it has ended (died: no one reads its end)."""
        try:
            os.write(self.writes[k], bytes((token,)))
        except BrokenPipeError:
            return False
        return True


def _stopped(workers: Sequence[multiprocessing.process.BaseProcess]) -> GatewayError:
    """The error of a worker that died (killed, out of memory) before the file was written."""
    for proc in workers:
        proc.join(1)  # its end of the ring closes as it dies: its exit code follows
    codes = ", ".join(str(proc.exitcode) for proc in workers if proc.exitcode not in (None, 0))
    return GatewayError(f"a translation worker stopped (exit code {codes or 'unknown'})")


class _Targets(NamedTuple):
    """Where the processes write, as file descriptors, and how text is encoded for them."""

    out: int
    err: int
    out_encoding: str
    out_errors: str
    err_encoding: str


def _targets(out: TextIO, err: TextIO) -> _Targets | None:
    """`out` and `err` as descriptors, or None when they have none."""
    try:
        descriptors = out.fileno(), err.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        return None
    return _Targets(*descriptors, out.encoding or "utf-8", out.errors or "strict", err.encoding or "utf-8")


def _write_all(fd: int, text: str, encoding: str, errors: str) -> None:
    data = memoryview(text.encode(encoding, errors))
    while data:
        data = data[os.write(fd, data) :]


def _take_turns(
    f: SharedFile,
    k: int,
    ring: _Ring,
    to: _Targets,
    watch: Sequence[multiprocessing.process.BaseProcess] = (),
) -> int:
    """Process k of the ring: map and render its chunks, and write each when its turn comes, at most
    `IN_FLIGHT_PER_JOB` rendered ahead. Returns the file's exit status (known for sure in process 0)."""
    n = ring.n
    share = Share(k == 0)
    pending: deque[Rendered] = deque()
    status = EXIT_OK

    def turn() -> bool:
        """Take the token, write the oldest pending chunk and hand the token on; False when the
        file has ended (this chunk's failure, or a STOP taken)."""
        nonlocal status
        token = ring.take(k, watch)
        status = max(status, token & ~_STOP)
        if token & _STOP:
            return False
        events, lines, rejected, failure = pending.popleft()
        if rejected:
            status = max(status, EXIT_REJECTED)
        if lines:
            _write_all(to.err, lines, to.err_encoding, "backslashreplace")
        if events:
            _write_all(to.out, events, to.out_encoding, to.out_errors)
        if failure is not None:
            _write_all(to.err, failure, to.err_encoding, "backslashreplace")
            status = EXIT_UNREADABLE
            if k:
                ring.give(0, status | _STOP)
            return False
        if not ring.give((k + 1) % n, status) and k == 0:
            raise _stopped(watch)
        return True

    # closing: a compiled generator left unfinished (the file ended elsewhere, a worker died) is not
    # finalized when it is dropped, so the file it reads would stay open until collected.
    read = chunks(f, k, n, share, batch=BATCH_SEGMENTS, read_bytes=SHARED_READ_BYTES)
    with contextlib.closing(read):
        for _, rendered in read:
            pending.append(rendered)
            while pending and (len(pending) > IN_FLIGHT_PER_JOB or ring.ready(k)):
                if not turn():
                    return status
    while pending:
        if not turn():
            return status
    # The token for the chunk after the last says the file is written: the process that chunk would
    # be of hands it to this one, which waits for it.
    if k == 0 or (share.chunk + 1) % n == k:
        token = ring.take(k, watch)
        if k:
            ring.give(0, token)
        status = max(status, token & ~_STOP)
    return status


def _share_worker(f: SharedFile, k: int, ring: _Ring, to: _Targets) -> None:
    """A forked worker: its chunks, each written in its turn."""
    ring.keep(k)
    try:
        _take_turns(f, k, ring, to)
    except BrokenPipeError as exc:  # the output's reader went away (`| head`): one line, as alone
        with contextlib.suppress(OSError):
            _write_all(to.err, describe_failure(exc, f.path), to.err_encoding, "backslashreplace")
        ring.give(0, EXIT_UNREADABLE | _STOP)


def _shared(f: SharedFile, jobs: int, out: TextIO, err: TextIO) -> int:
    """Translate one X12 or EDIFACT file with this process and `jobs - 1` workers sharing the reading."""
    to = _targets(out, err)
    if to is None:  # not files (an io.StringIO): through temporary ones
        with (
            tempfile.TemporaryFile("w+", encoding="utf-8") as o,
            tempfile.TemporaryFile("w+", encoding="utf-8") as e,
        ):
            status = _shared(f, jobs, o, e)
            for temporary, target in ((o, out), (e, err)):
                temporary.seek(0)
                shutil.copyfileobj(temporary, target)
        return status
    out.flush()  # the processes write to the descriptors themselves, after what is buffered
    err.flush()
    ctx = multiprocessing.get_context("fork")
    ring = _Ring(jobs)
    ring.give(0, EXIT_OK)  # chunk 0 is this process's: the token starts here
    procs = [ctx.Process(target=_share_worker, args=(f, k, ring, to), daemon=True) for k in range(1, jobs)]
    # The objects alive at the fork are frozen for the garbage collector meanwhile: the workers'
    # collections then never walk them, which would write to every page they sit on and so copy
    # the whole inherited heap into each worker.
    gc.freeze()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork() while threads run (Python 3.12+)
            for proc in procs:
                proc.start()
    finally:
        gc.unfreeze()
        ring.keep(0)
    try:
        return _take_turns(f, 0, ring, to, watch=procs)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
        ring.close(0)


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
