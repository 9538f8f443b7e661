"""File drop: per partner an inbox, outbox, archive and error folder, as an SFTP server or VAN
mailbox lands them. Outbound files are written under a temporary name and renamed, so a partner's
collector never picks up half a file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

FOLDERS = ("inbox", "outbox", "archive", "error")


@dataclass(frozen=True)
class Mailbox:
    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

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
