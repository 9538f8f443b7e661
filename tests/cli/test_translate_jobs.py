"""`gateway translate` with several processes sharing the reading writes exactly what it writes alone.

Every comparison runs `translate_files` once with `jobs=1` and with two or three processes (chunks
made small so that many are in flight) and requires the same JSON lines, stderr lines and exit status:
over the shared corpus and the samples in one run (readable, unreadable, skipped and rejected
files), a large generated interchange with a broken set and bytes after its IEA (a format error
once many sets were handed out), and a partner whose map override does not exist (an error raised
while mapping, in a worker); and the same for EDIFACT: the corpus, the samples and the map cases,
a large interchange with a rejected message followed by a second interchange from an unknown sender
and a stray UNA after it (a format error), and a missing override.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from bench import edifact_bench
from bench.x12_bench import generate
from gateway.cli import translate as command
from gateway.mapping import MapRegistry
from gateway.partners.registry import PartnerRegistry, load_partners
from tests.pipeline.support import MAPS_DIR, PARTNERS_DIR, SAMPLES

MAPS = MapRegistry.load(MAPS_DIR)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "BATCH_SEGMENTS", 60)
    monkeypatch.setattr(command, "IN_FLIGHT_PER_JOB", 1)


def _run(
    files: list[Path], jobs: int, partners: PartnerRegistry | None, partner_id: str | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = command.translate_files(
        files, maps=MAPS, partners=partners, partner_id=partner_id, out=out, err=err, jobs=jobs
    )
    return status, out.getvalue(), err.getvalue()


def _same(
    files: list[Path],
    partners: PartnerRegistry | None,
    partner_id: str | None = None,
    jobs: tuple[int, ...] = (2,),
) -> str:
    alone = _run(files, 1, partners, partner_id)
    for n in jobs:
        assert _run(files, n, partners, partner_id) == alone
    return alone[2]


def _rheinwerk_missing_map(tmp_path: Path, message: str) -> Path:
    """A copy of the sample partners where rheinwerk-bearings names a missing map for `message`."""
    partners = tmp_path / "partners"
    shutil.copytree(PARTNERS_DIR, partners)
    config = partners / "rheinwerk-bearings.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "maps: {}", f"maps:\n  edifact/{message}: edifact/{message}/overrides/missing.yaml"
    )
    config.write_text(text, encoding="utf-8")
    return partners


def test_the_corpus_and_the_samples_translate_alike_with_workers(shared_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.edi"
    broken.write_bytes(b"ISA*00*bad")
    files = sorted((shared_dir / "corpus" / "x12").glob("*.edi")) + sorted(SAMPLES.rglob("*.edi"))
    err = _same(
        [*files[:5], broken, *files[5:], tmp_path / "missing.edi"], load_partners(PARTNERS_DIR), jobs=(2, 3)
    )
    assert "FormatError" in err
    assert "FileNotFoundError" in err
    assert "skipped:" in err


def test_a_format_error_after_many_sets_comes_after_their_events(tmp_path: Path) -> None:
    path = tmp_path / "big.edi"
    sets = generate(path, size_mb=0.2, kind="855", min_sets=300)
    text = path.read_text(encoding="ascii")
    text = text.replace("SE*19*0100~", "SE*18*0100~")  # one set with a wrong segment count
    path.write_text(text + "GARBAGE*1~\n", encoding="ascii")
    status, out, err = _run([path], 1, None)
    assert _run([path], 2, None) == (status, out, err)
    assert _run([path], 3, None) == (status, out, err)
    assert status == 2
    assert out.count("\n") == 4 * (sets - 1)  # the rejected set writes none
    assert err.splitlines()[-1].startswith("FormatError")
    assert "SE01 says 18" in err


def test_the_processes_write_to_files_themselves_in_order_after_what_was_buffered(tmp_path: Path) -> None:
    path = tmp_path / "acks.edi"
    generate(path, size_mb=0.1, kind="855", min_sets=200)
    text = path.read_text(encoding="ascii")
    path.write_text(text.replace("SE*19*0100~", "SE*18*0100~"), encoding="ascii")  # one rejected set
    status, events, lines = _run([path], 1, None)
    assert status == 1
    assert "SE01 says 18" in lines
    out_path, err_path = tmp_path / "events.jsonl", tmp_path / "errors.txt"
    with out_path.open("w", encoding="utf-8") as out, err_path.open("w", encoding="utf-8") as err:
        out.write("before\n")  # still in the buffer when the workers start
        err.write("before\n")
        found = command.translate_files(
            [path, path], maps=MAPS, partners=None, partner_id=None, out=out, err=err, jobs=3
        )
        out.write("after\n")
    assert found == status
    assert out_path.read_text(encoding="utf-8") == "before\n" + events * 2 + "after\n"
    assert err_path.read_text(encoding="utf-8") == "before\n" + lines * 2


def test_a_worker_that_dies_ends_the_file_with_an_error_instead_of_a_wait(tmp_path: Path) -> None:
    path = tmp_path / "acks.edi"
    generate(path, size_mb=1, kind="855", min_sets=1)
    killed: list[int] = []

    def kill_the_worker() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for child in multiprocessing.active_children():
                if child.pid is not None:
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
            time.sleep(0.001)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    out_path, err_path = tmp_path / "events.jsonl", tmp_path / "errors.txt"
    with out_path.open("w", encoding="utf-8") as out, err_path.open("w", encoding="utf-8") as err:
        status = command.translate_files(
            [path], maps=MAPS, partners=None, partner_id=None, out=out, err=err, jobs=2
        )
    killer.join()
    assert killed
    assert status == 2
    assert err_path.read_text(encoding="utf-8") == (
        f"GatewayError: {path}: a translation worker stopped (exit code -9)\n"
    )
    assert len(out_path.read_text(encoding="utf-8").splitlines()) < 4 * 1700  # it ended early


def test_output_whose_reader_went_away_ends_the_file_with_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "acks.edi"
    generate(path, size_mb=0.3, kind="855", min_sets=1)
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `gateway translate FILE | head` once head has had enough
    err_path = tmp_path / "errors.txt"
    with os.fdopen(write_end, "w", encoding="utf-8") as out, err_path.open("w", encoding="utf-8") as err:
        status = command.translate_files(
            [path], maps=MAPS, partners=None, partner_id=None, out=out, err=err, jobs=2
        )
    assert status == 2
    assert err_path.read_text(encoding="utf-8") == f"BrokenPipeError: {path}: Broken pipe\n"
    assert "Traceback" not in capfd.readouterr().err  # nor from a worker


def test_an_error_while_mapping_stops_the_file_at_the_same_set(tmp_path: Path) -> None:
    partners = tmp_path / "partners"
    shutil.copytree(PARTNERS_DIR, partners)
    config = partners / "acme-fasteners.yaml"
    text = config.read_text(encoding="utf-8")
    if "\nmaps:" in text:
        text = text.split("\nmaps:")[0] + "\n"  # drop its own overrides, then name one that is missing
    config.write_text(text + "maps:\n  x12/855: x12/855/overrides/missing.yaml\n", encoding="utf-8")
    path = tmp_path / "acks.edi"
    generate(path, size_mb=0.05, kind="855", min_sets=120)
    err = _same([path], load_partners(partners), partner_id="acme-fasteners", jobs=(2, 3))
    assert err.startswith("MappingError")


def test_edifact_corpus_samples_and_cases_translate_alike_with_workers(
    shared_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.edi"
    broken.write_bytes(
        b"UNA:+.? 'UNB+UNOC:3+X:14+Y:ZZZ+250318:1600+1'UNH+1+DESADV:D:96A:UN'BGM+351+" + b"x" * 10
    )
    files = sorted((shared_dir / "corpus" / "edifact").glob("*.edi"))
    files += sorted((SAMPLES / "edifact").rglob("*.edi")) + sorted(MAPS_DIR.glob("edifact/**/*.cases/*.edi"))
    err = _same([*files[:3], broken, *files[3:]], load_partners(PARTNERS_DIR), jobs=(2, 3))
    assert "skipped:" in err
    assert "error:" in err


def test_edifact_errors_after_many_messages_come_after_their_events(tmp_path: Path) -> None:
    path = tmp_path / "big.edi"
    count = edifact_bench.generate(path, size_mb=0.2)
    text = path.read_text(encoding="latin-1")
    text = text.replace("UNT+55+7'", "UNT+54+7'")  # one DESADV with a wrong segment count
    second = "UNB+UNOC:3+9999999999999:14+GATEWAYBUYER:ZZZ+250318:1700+OTHER0001'" + text.split("'\n", 2)[2]
    path.write_text(text + second + "UNA:+,? '\n", encoding="latin-1")  # a stray UNA: a format error
    status, out, err = _run([path], 1, load_partners(PARTNERS_DIR))
    assert _run([path], 2, load_partners(PARTNERS_DIR)) == (status, out, err)
    assert _run([path], 3, load_partners(PARTNERS_DIR)) == (status, out, err)
    assert status == 2
    assert err.splitlines()[-1].startswith("FormatError")
    assert "UNT 0074 says 54 segments" in err
    assert "UNA" in err.splitlines()[-1]
    events = [line for line in out.splitlines() if line]
    assert len(events) > 2 * count  # both interchanges were mapped before the error
    assert any('"partner_id":"rheinwerk-bearings"' in line for line in events)
    assert any('"partner_id":"14:9999999999999"' in line for line in events)


def test_an_edifact_mapping_error_stops_the_file_at_the_same_message(tmp_path: Path) -> None:
    partners = _rheinwerk_missing_map(tmp_path, "DESADV")
    path = tmp_path / "big.edi"
    edifact_bench.generate(path, size_mb=0.05)
    err = _same([path], load_partners(partners), jobs=(2, 3))
    assert err.startswith("MappingError")


def test_an_edifact_mapping_error_in_a_later_chunk_stops_the_file_there(tmp_path: Path) -> None:
    partners = _rheinwerk_missing_map(tmp_path, "ORDRSP")
    path = tmp_path / "two.edi"
    edifact_bench.generate(path, size_mb=0.05)
    ours = path.read_text(encoding="latin-1")
    theirs = ours.replace("4012345000016:14", "9999999999999:14", 1)  # an unknown sender: default maps
    path.write_text(theirs + ours.split("'\n", 1)[1], encoding="latin-1")  # then rheinwerk's
    err = _same([path], load_partners(partners), jobs=(2, 3))
    assert err.splitlines()[-1].startswith("MappingError")
    first = _run([path], 1, load_partners(partners))[1]
    assert '"partner_id":"14:9999999999999"' in first
    assert '"partner_id":"rheinwerk-bearings"' in first  # its DESADV before the ORDRSP that failed
