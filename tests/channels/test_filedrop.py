"""The file-drop mailbox on a real folder: names left alone, claims, moves that never overwrite."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gateway.channels import filedrop


@pytest.mark.parametrize(
    ("name", "partial"),
    [
        (".855.edi", True),
        ("855.edi.part", True),
        ("855.EDI.TMP", True),
        ("855.edi.filepart", True),
        ("855.edi~", True),
        ("855.edi.reason.txt", True),
        ("855.edi", False),
        ("ORDERS_20250304.txt", False),
    ],
)
def test_temporary_and_hidden_names_are_partial(name: str, partial: bool) -> None:
    assert filedrop.is_partial(name) is partial


def test_moves_never_overwrite_a_file_already_there(tmp_path: Path) -> None:
    box = filedrop.Mailbox(tmp_path).ensure()
    stamp = "20250304T091500Z"
    paths = []
    for _ in range(3):
        (box.inbox / "855.edi").write_bytes(b"x")
        taken = filedrop.claim(box, box.inbox / "855.edi")
        assert taken is not None
        paths.append(filedrop.archive(taken, stamp=stamp, tag="r1"))
    assert [p.name for p in paths] == [
        f"{stamp}-r1-855.edi",
        f"{stamp}-r1-855.edi.1",
        f"{stamp}-r1-855.edi.2",
    ]
    assert all(p.read_bytes() == b"x" for p in paths)


def test_a_failed_file_gets_its_reason_beside_it(tmp_path: Path) -> None:
    box = filedrop.Mailbox(tmp_path).ensure()
    (box.inbox / "bad.edi").write_bytes(b"?")
    taken = filedrop.claim(box, box.inbox / "bad.edi")
    assert taken is not None

    moved, note = filedrop.fail(
        taken, stamp="S", reason=[("reason", "unreadable:\n  two lines"), ("receipt", "r")]
    )

    assert moved == box.error / "S-bad.edi"
    assert note == box.error / "S-bad.edi.reason.txt"
    assert note.read_text() == "reason: unreadable: two lines\nreceipt: r\n"
    assert sorted(p.name for p in box.error.iterdir()) == ["S-bad.edi", "S-bad.edi.reason.txt"]


def test_release_puts_a_claimed_file_back_beside_a_newer_one_of_the_same_name(tmp_path: Path) -> None:
    box = filedrop.Mailbox(tmp_path).ensure()
    (box.inbox / "a.edi").write_bytes(b"old")
    taken = filedrop.claim(box, box.inbox / "a.edi")
    assert taken is not None
    (box.inbox / "a.edi").write_bytes(b"new")  # the partner uploaded again meanwhile

    back = filedrop.release(taken)

    assert back == box.inbox / "a.edi.1"
    assert (box.inbox / "a.edi").read_bytes() == b"new"
    assert back.read_bytes() == b"old"


def test_scan_returns_settled_files_oldest_first(tmp_path: Path) -> None:
    box = filedrop.Mailbox(tmp_path).ensure()
    now = time.time()
    for name, age in (("b.edi", 100), ("a.edi", 200), ("c.edi", 1)):
        (box.inbox / name).write_bytes(b"x")
        os.utime(box.inbox / name, (now - age, now - age))

    ready, skipped = filedrop.scan(box, settle_s=5, now=now)

    assert [p.name for p in ready] == ["a.edi", "b.edi"]
    assert [s.name for s in skipped] == ["c.edi"]
