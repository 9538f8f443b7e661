"""File-drop pick-up on real folders and a real database (SQLite and PostgreSQL): claim by rename,
store then process, archive, error/ with a reason file, partial files left alone, crash recovery,
two pollers, and the database down (the file stays in the inbox)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.channels import filedrop as channel
from gateway.kit.clock import FixedClock
from gateway.pipeline import filedrop
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.pipeline.support import NOW, SAMPLES, sample, settings_for

ACME = "acme-fasteners"


def inbox(rt: Runtime, partner: str = ACME) -> channel.Mailbox:
    return channel.mailbox_for(rt.settings.data_dir, f"filedrop/{partner}").ensure()


def drop(box: channel.Mailbox, name: str, data: bytes, *, age_s: float = 60.0) -> Path:
    """A file as an SFTP server leaves it: written, then untouched for `age_s` seconds."""
    path = box.inbox / name
    path.write_bytes(data)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def receipts(rt: Runtime) -> list[db.Receipt]:
    with session_scope(rt.sessionmaker) as session:
        return list(session.scalars(select(db.Receipt).order_by(db.Receipt.received_at, db.Receipt.id)))


UNKNOWN_SENDER_855 = sample(ACME, "855_000000418.edi").replace(b"ACMEFAST       ", b"NOBODYKNOWS    ")


def test_files_are_stored_processed_and_archived(runtime: Runtime) -> None:
    box = inbox(runtime)
    drop(box, "855_000000418.edi", sample(ACME, "855_000000418.edi"))
    drop(box, "856_000000431.edi", sample(ACME, "856_000000431.edi"))

    report = filedrop.sweep(runtime)

    assert [p.outcome for p in report.pickups] == ["archived", "archived"]
    assert names(box.inbox) == []
    assert names(box.processing) == []
    archived = names(box.archive)
    assert len(archived) == 2
    assert all(n.endswith(("855_000000418.edi", "856_000000431.edi")) for n in archived)
    stored = receipts(runtime)
    assert {r.channel for r in stored} == {"filedrop"}
    assert {r.status for r in stored} == {db.ReceiptStatus.PROCESSED}
    assert sorted(r.raw for r in stored) == sorted(
        [sample(ACME, "855_000000418.edi"), sample(ACME, "856_000000431.edi")]
    )
    # the archived file is the stored bytes, and the 997s went out through the outbox
    by_receipt = {p.receipt_id: Path(p.path) for p in report.pickups}
    for r in stored:
        assert by_receipt[r.id].read_bytes() == r.raw
    assert len(names(box.outbox)) == 2
    with session_scope(runtime.sessionmaker) as session:
        acks = session.scalars(select(db.OutboundMessage)).all()
        assert {a.transport for a in acks} == {"filedrop"}


def test_an_unreadable_file_goes_to_error_with_a_reason_and_its_bytes_are_kept(runtime: Runtime) -> None:
    box = inbox(runtime)
    drop(box, "garbage.edi", b"this is not EDI at all\n")

    (pickup,) = filedrop.sweep(runtime).pickups

    assert pickup.outcome == "error"
    assert pickup.reason is not None
    assert pickup.reason.startswith("unreadable")
    assert names(box.inbox) == []
    moved = Path(pickup.path)
    assert moved.parent == box.error
    assert moved.read_bytes() == b"this is not EDI at all\n"
    reason = moved.with_name(moved.name + ".reason.txt").read_text()
    assert "reason: unreadable" in reason
    assert f"receipt: {pickup.receipt_id}" in reason
    (stored,) = receipts(runtime)
    assert stored.status is db.ReceiptStatus.FAILED
    assert stored.raw == b"this is not EDI at all\n"


def test_a_file_from_an_unknown_sender_goes_to_error(runtime: Runtime) -> None:
    box = inbox(runtime)
    drop(box, "855_from_nobody.edi", UNKNOWN_SENDER_855)

    (pickup,) = filedrop.sweep(runtime).pickups

    assert pickup.outcome == "error"
    assert pickup.reason is not None
    assert "unknown sender: ZZ:NOBODYKNOWS" in pickup.reason
    assert (box.error / (Path(pickup.path).name + ".reason.txt")).is_file()
    assert receipts(runtime)[0].raw == UNKNOWN_SENDER_855


def test_a_file_naming_another_partner_as_sender_is_refused_unprocessed(runtime: Runtime) -> None:
    """A mailbox delivers for its own partner: Borealis's 855 in Acme's inbox is not processed (as
    either), and stays in error/ with the reason."""
    box = inbox(runtime)
    borealis_855 = sample("borealis-plastics", "855_000002202.edi")
    drop(box, "855_misrouted.edi", borealis_855)

    (pickup,) = filedrop.sweep(runtime).pickups

    assert pickup.outcome == "error"
    assert pickup.reason is not None
    assert pickup.reason.startswith("sender mismatch: interchange ")
    assert "names 01:081234567 as its sender" in pickup.reason
    assert "acme-fasteners's mailbox" in pickup.reason
    moved = Path(pickup.path)
    assert moved.read_bytes() == borealis_855
    assert "receipt: none" in moved.with_name(moved.name + ".reason.txt").read_text()
    assert receipts(runtime) == []
    assert names(box.outbox) == []


def test_an_edifact_file_naming_another_partner_is_refused_unprocessed(runtime: Runtime) -> None:
    box = inbox(runtime)
    desadv = (SAMPLES / "edifact" / "rheinwerk-bearings" / "DESADV_RW0000103.edi").read_bytes()
    drop(box, "DESADV_misrouted.edi", desadv)

    (pickup,) = filedrop.sweep(runtime).pickups

    assert pickup.outcome == "error"
    assert pickup.reason is not None
    assert pickup.reason.startswith("sender mismatch: interchange RW0000103 names 14:4012345000016")
    assert Path(pickup.path).read_bytes() == desadv
    assert receipts(runtime) == []


def test_partial_files_are_left_alone(runtime: Runtime) -> None:
    box = inbox(runtime)
    data = sample(ACME, "855_000000418.edi")
    drop(box, ".hidden.edi", data)
    drop(box, "855.edi.part", data)
    drop(box, "855.edi.filepart", data)
    drop(box, "still-growing.edi", data, age_s=0)
    (box.inbox / "a-folder").mkdir()

    report = filedrop.sweep(runtime)

    assert report.pickups == []
    assert names(box.inbox) == sorted(
        [".hidden.edi", "855.edi.part", "855.edi.filepart", "still-growing.edi", "a-folder"]
    )
    why = {name: reason for _, name, reason in report.left_alone}
    assert "still being written" in why["still-growing.edi"]
    assert why["855.edi.part"] == "temporary or hidden name"
    assert why["a-folder"] == "not a regular file"
    assert receipts(runtime) == []

    # once it has settled, the grown file is picked up
    then = time.time() - 60
    os.utime(box.inbox / "still-growing.edi", (then, then))
    assert [p.file_name for p in filedrop.sweep(runtime).pickups] == ["still-growing.edi"]


def test_a_file_claimed_by_another_poller_is_not_touched(runtime: Runtime) -> None:
    box = inbox(runtime)
    path = drop(box, "855_000000418.edi", sample(ACME, "855_000000418.edi"))
    taken = channel.claim(box, path, owner=f"{channel.owner_name().split('~')[0]}~{os.getpid()}")
    assert taken is not None
    assert channel.claim(box, path) is None  # already renamed away: the second poller gets nothing

    assert filedrop.sweep(runtime).pickups == []  # a live claim (this very process) is left alone
    assert names(box.processing) == [taken.path.name]


def test_two_pollers_pick_up_each_file_exactly_once(runtime: Runtime) -> None:
    box = inbox(runtime)
    files = {
        f"855_{n}.edi": sample(ACME, "855_000000418.edi").replace(b"000000418", f"{n:09d}".encode())
        for n in range(500, 508)
    }
    for name, data in files.items():
        drop(box, name, data)
    reports: list[filedrop.SweepReport] = []
    start = threading.Barrier(2)

    def poll() -> None:
        start.wait()
        reports.append(filedrop.sweep(runtime))

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    picked = [p.file_name for r in reports for p in r.pickups]
    assert sorted(picked) == sorted(files)
    assert {p.outcome for r in reports for p in r.pickups} == {"archived"}
    stored = receipts(runtime)
    assert sorted(r.file_name or "" for r in stored) == sorted(files)
    assert {r.status for r in stored} == {db.ReceiptStatus.PROCESSED}


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_claim_left_by_a_crashed_poller_is_taken_back_and_processed(runtime: Runtime) -> None:
    box = inbox(runtime)
    host = channel.owner_name().split("~")[0]
    path = drop(box, "855_000000418.edi", sample(ACME, "855_000000418.edi"))
    crashed = channel.claim(box, path, owner=f"{host}~{_dead_pid()}")
    assert crashed is not None

    (pickup,) = filedrop.sweep(runtime).pickups

    assert pickup.outcome == "archived"
    assert names(box.processing) == []
    assert len(receipts(runtime)) == 1


def test_a_claim_stored_before_the_crash_is_archived_without_a_second_receipt(runtime: Runtime) -> None:
    box = inbox(runtime)
    data = sample(ACME, "855_000000418.edi")
    first = drop(box, "855_000000418.edi", data)
    host = channel.owner_name().split("~")[0]
    crashed = channel.claim(box, first, owner=f"{host}~{_dead_pid()}")
    assert crashed is not None
    # the crashed poller had stored it already
    from gateway.pipeline import ingest

    ingest.receive(runtime, data, channel="filedrop", file_name="855_000000418.edi")

    (pickup,) = filedrop.sweep(runtime).pickups

    assert pickup.outcome == "archived"
    assert len(receipts(runtime)) == 1  # not received a second time


def test_claims_from_another_host_are_retaken_only_when_stale(tmp_path: Path) -> None:
    box = channel.Mailbox(tmp_path / "box").ensure()
    path = box.inbox / "a.edi"
    path.write_bytes(b"x")
    taken = channel.claim(box, path, owner="other-host~4242")
    assert taken is not None
    now = time.time()
    assert channel.stale_claims(box, stale_s=900, now=now) == []
    (stale,) = channel.stale_claims(box, stale_s=900, now=now + 901)
    assert stale.host == "other-host"
    assert stale.name == "a.edi"


def test_the_file_stays_in_the_inbox_when_postgres_cannot_be_reached(tmp_path: Path) -> None:
    # A real PostgreSQL URL on a port where nothing listens.
    url = "postgresql+psycopg://postgres@127.0.0.1:9/gateway?connect_timeout=2"
    rt = build_runtime(settings_for(tmp_path / "data", url), clock=FixedClock(NOW), upgrade=False)
    try:
        box = inbox(rt)
        data = sample(ACME, "855_000000418.edi")
        drop(box, "855_000000418.edi", data)

        (pickup,) = filedrop.sweep(rt).pickups

        assert pickup.outcome == "kept"
        assert pickup.reason is not None
        assert "database unavailable" in pickup.reason
        assert names(box.inbox) == ["855_000000418.edi"]
        assert (box.inbox / "855_000000418.edi").read_bytes() == data
        assert names(box.processing) == []
        assert names(box.error) == []
        assert names(box.archive) == []
    finally:
        rt.close()


def test_the_file_stays_in_the_inbox_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    url = f"sqlite:///{(folder / 'gateway.db').as_posix()}"
    rt = build_runtime(settings_for(tmp_path / "data", url), clock=FixedClock(NOW), upgrade=False)
    folder.rmdir()  # the database's folder is gone, and a file stands in its place
    folder.write_text("not a folder")
    try:
        box = inbox(rt)
        drop(box, "855_000000418.edi", sample(ACME, "855_000000418.edi"))

        (pickup,) = filedrop.sweep(rt).pickups

        assert pickup.outcome == "kept"
        assert names(box.inbox) == ["855_000000418.edi"]
    finally:
        rt.close()


@pytest.mark.parametrize("partner_id", [None, ACME])
def test_the_watcher_picks_up_a_file_as_it_lands(runtime: Runtime, partner_id: str | None) -> None:
    box = inbox(runtime)
    stop = threading.Event()
    seen: list[filedrop.SweepReport] = []
    runtime.settings.filedrop.settle_s = 0
    runtime.settings.filedrop.interval_s = 0.2
    watcher = threading.Thread(
        target=filedrop.watch,
        kwargs={"rt": runtime, "stop": stop, "on_sweep": seen.append, "partner_id": partner_id},
    )
    watcher.start()
    try:
        # written under a temporary name, then renamed: as an SFTP client with atomic uploads does
        temp = box.inbox / ".855.edi.part"
        temp.write_bytes(sample(ACME, "855_000000418.edi"))
        temp.rename(box.inbox / "855.edi")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            p.outcome == "archived" for r in seen for p in r.pickups
        ):
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert not watcher.is_alive()
    assert [p.file_name for r in seen for p in r.pickups] == ["855.edi"]
    assert names(box.inbox) == []
    assert len(names(box.archive)) == 1
