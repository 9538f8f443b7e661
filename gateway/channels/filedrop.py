"""File drop: per partner an inbox, outbox, archive and error folder, as an SFTP server or VAN
mailbox lands them, plus a `processing/` folder for files being picked up.

    <root>/inbox/        the partner's files land here
    <root>/processing/   claimed: renamed here before they are read (`<host>~<pid>~<token>~<name>`)
    <root>/archive/      stored and processed (`<UTC stamp>-<receipt>-<name>`)
    <root>/error/        could not be processed, each with `<name>.reason.txt` beside it
    <root>/outbox/       what we send: written under a temporary dot name, fsynced, renamed

Pick-up is a rename: `inbox/x.edi` becomes `processing/<owner>~<token>~x.edi` before a byte is read.
A rename is atomic on one file system, so of two pollers only one gets the file (the other's rename
fails and it moves on), and a crash leaves the file in `processing/`, where the next sweep finds it
(a claim of a process that no longer runs on this host at once, one from another host after
`stale_claim_s`). Nothing here deletes a file: every move is a rename to a name that is not taken.

Files still being written are left alone: dot files, temporary names (`.part`, `.tmp`, `.filepart`,
`~`...), anything that is not a regular file, and files modified less than `settle_s` ago.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

FOLDERS = ("inbox", "outbox", "archive", "error", "processing")
TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".filepart", ".crdownload", ".swp", ".lock", "~")
REASON_SUFFIX = ".reason.txt"
_SEP = "~"


@dataclass(frozen=True)
class Mailbox:
    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def error(self) -> Path:
        return self.root / "error"

    @property
    def processing(self) -> Path:
        return self.root / "processing"

    def ensure(self) -> Mailbox:
        for name in FOLDERS:
            (self.root / name).mkdir(parents=True, exist_ok=True)
        return self

    def deliver(self, name: str, content: str | bytes) -> Path:
        """Write `content` to the outbox atomically (temporary name, fsync, rename)."""
        self.ensure()
        data = content.encode("utf-8") if isinstance(content, str) else content
        final = self.outbox / name
        temp = self.outbox / f".{name}.part"
        with temp.open("wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        temp.replace(final)
        return final


def mailbox_for(data_dir: Path, root: str) -> Mailbox:
    """The mailbox of a partner whose config names `root` (relative paths are under the data dir)."""
    path = Path(root)
    return Mailbox(path if path.is_absolute() else data_dir / path)


# ------------------------------------------------------------------------------------ pick-up


def owner_name() -> str:
    """Who claims files: this host and process."""
    return f"{socket.gethostname().replace(_SEP, '-')}{_SEP}{os.getpid()}"


def is_partial(name: str) -> bool:
    """A name a file carries while it is still being written (or that is not ours to take)."""
    lowered = name.lower()
    return name.startswith(".") or lowered.endswith(TEMP_SUFFIXES) or lowered.endswith(REASON_SUFFIX)


@dataclass(frozen=True)
class Skipped:
    name: str
    why: str


def scan(box: Mailbox, *, settle_s: float, now: float | None = None) -> tuple[list[Path], list[Skipped]]:
    """The inbox files ready to pick up (oldest first), and the ones left alone with the reason."""
    moment = time.time() if now is None else now
    ready: list[tuple[float, str, Path]] = []
    skipped: list[Skipped] = []
    try:
        entries = list(os.scandir(box.inbox))
    except FileNotFoundError:
        return [], []
    for entry in entries:
        if is_partial(entry.name):
            skipped.append(Skipped(entry.name, "temporary or hidden name"))
            continue
        if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
            skipped.append(Skipped(entry.name, "not a regular file"))
            continue
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue
        if moment - mtime < settle_s:
            skipped.append(Skipped(entry.name, f"changed less than {settle_s:g}s ago (still being written?)"))
            continue
        ready.append((mtime, entry.name, Path(entry.path)))
    ready.sort()
    return [path for _, _, path in ready], skipped


@dataclass(frozen=True)
class Claim:
    """A file renamed into `processing/` by one owner: only that owner reads and moves it."""

    box: Mailbox
    path: Path
    name: str  # the file's name in the inbox
    host: str
    pid: int

    @classmethod
    def parse(cls, box: Mailbox, path: Path) -> Claim | None:
        parts = path.name.split(_SEP, 3)
        if len(parts) != 4 or not parts[1].isdigit() or not parts[3]:
            return None
        return cls(box, path, parts[3], parts[0], int(parts[1]))


def claim(box: Mailbox, path: Path, *, owner: str | None = None) -> Claim | None:
    """Rename an inbox file into `processing/`; None when another poller took it first."""
    who = owner or owner_name()
    target = box.processing / f"{who}{_SEP}{uuid.uuid4().hex[:8]}{_SEP}{path.name}"
    box.processing.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(path, target)
    except FileNotFoundError:
        return None
    os.utime(target)  # the claim's age starts now (a rename keeps the old mtime)
    return Claim.parse(box, target)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_claims(
    box: Mailbox,
    *,
    stale_s: float,
    now: float | None = None,
    alive: Callable[[int], bool] = _alive,
) -> list[Claim]:
    """Claims left by a crash: of a process that no longer runs on this host, or older than
    `stale_s` from another host (whose processes cannot be asked)."""
    moment = time.time() if now is None else now
    host, me = owner_name().split(_SEP)[0], os.getpid()
    out: list[Claim] = []
    try:
        entries = sorted(box.processing.iterdir())
    except FileNotFoundError:
        return []
    for path in entries:
        found = Claim.parse(box, path)
        if found is None or (found.pid == me and found.host == host):
            continue
        if found.host == host:
            if not alive(found.pid):
                out.append(found)
            continue
        try:
            age = moment - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if age >= stale_s:
            out.append(found)
    return out


def retake(stale: Claim, *, owner: str | None = None) -> Claim | None:
    """Claim a stale claim for this process (atomically: of two that try, one gets it)."""
    who = owner or owner_name()
    target = stale.box.processing / f"{who}{_SEP}{uuid.uuid4().hex[:8]}{_SEP}{stale.name}"
    try:
        os.rename(stale.path, target)
    except FileNotFoundError:
        return None
    os.utime(target)
    return Claim.parse(stale.box, target)


def _free(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/name.1`, `.2`... whichever does not exist yet."""
    candidate, n = folder / name, 0
    while candidate.exists() or (folder / (candidate.name + REASON_SUFFIX)).exists():
        n += 1
        candidate = folder / f"{name}.{n}"
    return candidate


def release(taken: Claim) -> Path:
    """Put a claimed file back in the inbox, under its name (or a free variant of it)."""
    target = _free(taken.box.inbox, taken.name)
    os.rename(taken.path, target)
    return target


def archive(taken: Claim, *, stamp: str, tag: str) -> Path:
    """Move a processed file to `archive/<stamp>-<tag>-<name>`."""
    taken.box.archive.mkdir(parents=True, exist_ok=True)
    target = _free(taken.box.archive, f"{stamp}-{tag}-{taken.name}")
    os.rename(taken.path, target)
    return target


def fail(taken: Claim, *, stamp: str, reason: Sequence[tuple[str, str]]) -> tuple[Path, Path]:
    """Move a file that cannot be processed to `error/<stamp>-<name>`, with a reason file beside it
    (`key: value` lines). The reason file is written first (under a temporary name, then renamed), so
    an operator never finds a file in error/ without its reason."""
    taken.box.error.mkdir(parents=True, exist_ok=True)
    target = _free(taken.box.error, f"{stamp}-{taken.name}")
    note = target.with_name(target.name + REASON_SUFFIX)
    text = "".join(f"{key}: {' '.join(str(value).split())}\n" for key, value in reason)
    temp = note.with_name(f".{note.name}.part")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, note)
    os.rename(taken.path, target)
    return target, note


# ------------------------------------------------------------------------------------ watching


def watch(
    folders: Sequence[Path], *, stop: threading.Event, tick_s: float, debounce_ms: int = 200
) -> Iterator[None]:
    """Yield once at the start, whenever something changes in `folders`, and every `tick_s` seconds
    without changes (so a file left alone while it was still being written is looked at again)."""
    import watchfiles

    yield
    for _changes in watchfiles.watch(
        *folders,
        stop_event=stop,
        rust_timeout=max(int(tick_s * 1000), 50),
        yield_on_timeout=True,
        debounce=debounce_ms,
        raise_interrupt=False,
    ):
        if stop.is_set():
            return
        yield
