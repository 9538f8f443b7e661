"""Benchmark of the EDIFACT codec and of `gateway translate` on a large generated interchange, beside
pydifact's own parse of the same file.

Generates one interchange (UNA, syntax 3, UNOC) of DESADV (a CPS packing tree of a pallet and two
cartons, GIN+BJ SSCCs, three LIN per carton with QTY+12 and RFF+ON) and ORDRSP messages (six LIN
with action codes, QTY+21/113, DTM, PRI) in turn, some values with released characters, then
measures, each in a fresh subprocess (the fastest of `--repeat` runs; machine shared, so the load
average is printed):

- the codec: `gateway.formats.edifact.reader.read` consumed to the end, every message's envelope
  checked (MB/s, messages/s);
- `gateway translate` as the CLI runs it (read, check, identify the partner, map, write JSON lines;
  the X12 bench's script), with its default jobs (workers for large files) and with `--jobs 1`;
- pydifact (`Interchange.from_str`, its tokenizer and parser, segments counted) on the same file;
- peak memory (the process's maximum resident set, and with workers the largest sum of the
  proportional set sizes of the process and its workers); with `--big-mb`, the codec and translate
  (both ways) on a large file (memory grows with the largest message, not the file), and pydifact
  too with `--pydifact-big`.

    python -m bench.edifact_bench --size-mb 20 [--big-mb 100] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from bench.x12_bench import _TRANSLATE, measure_command

GOALS = {"translate": 10.0, "memory_mb": 100.0}
PYDIFACT_SPEED = 1.0  # MB/s on 20 MB on the machine: the goal is GOALS["translate"] over it
_UNB = "UNA:+.? '\nUNB+UNOC:3+4012345000016:14+GATEWAYBUYER:ZZZ+250318:1600+BENCH0001++++1'\n"


def _desadv(n: int) -> list[str]:
    po = f"45{n % 100000:08d}"
    segs = [
        f"UNH+{n}+DESADV:D:96A:UN:EAN007",
        f"BGM+351+LS-{n:09d}+9",
        "DTM+137:202503181600:203",
        "DTM+11:20250318:102",
        "DTM+17:20250320:102",
        "MEA+AAX+AAD+KGM:86.4",
        f"RFF+ON:{po}",
        f"RFF+CN:RW-SPED-{n:08d}",
        "NAD+SU+4012345000016::9++Rheinwerk W?+L GmbH",
        "NAD+DP+P100::92",
        "TDT+20++30+31+RHENUSFR::172",
        "CPS+1++3",
        "PAC+1++201",
        "PCI+33E",
        f"GIN+BJ+3401234{n % 10**10:010d}7",
    ]
    line = 0
    for carton in (2, 3):
        segs += [f"CPS+{carton}+1+1", "PAC+8++CT", "PCI+33E", f"GIN+BJ+3401234{n % 10**10:010d}{carton}"]
        for _ in range(3):
            line += 1
            segs += [
                f"LIN+{line}++40123451000{line % 10}3:EN",
                f"PIA+1+RB-62{line:02d}-2RS:SA",
                f"QTY+12:{10 * line}:EA",
                f"GIN+BX+CH-2025-{n % 10000:04d}",
                f"RFF+ON:{po}:{line}",
            ]
    segs.append("CNT+2:6")
    segs.append(f"UNT+{len(segs) + 1}+{n}")
    return segs


def _ordrsp(n: int) -> list[str]:
    po = f"45{n % 100000:08d}"
    segs = [
        f"UNH+{n}+ORDRSP:D:96A:UN:EAN005",
        f"BGM+231+AB-{n:09d}+30",
        "DTM+137:20250304:102",
        f"RFF+ON:{po}",
        "NAD+SU+4012345000016::9++Rheinwerk W?+L GmbH",
        "CUX+2:EUR:9",
    ]
    for line in range(1, 7):
        action = "5" if line % 3 else "6"
        segs += [
            f"LIN+{line}+{action}+40123451000{line % 10}3:EN",
            f"PIA+1+RB-62{line:02d}-2RS:SA",
            f"QTY+21:{100 * line}:EA",
            f"QTY+113:{100 * line - (line % 2) * 10}:EA",
            "DTM+2:20250320:102",
            f"PRI+AAA:{line}.15",
            "FTX+AAI+++Note?: released ?' apostrophe",
        ]
    segs += ["UNS+S", "CNT+2:6", f"UNT+{len(segs) + 3}+{n}"]
    return segs


def generate(path: Path, *, size_mb: float) -> int:
    """Write the interchange; returns the number of messages."""
    target = int(size_mb * 1_000_000)
    written, n = 0, 0
    with path.open("w", encoding="latin-1", newline="") as f:
        f.write(_UNB)
        written += len(_UNB)
        while written < target:
            n += 1
            text = "'\n".join(_desadv(n) if n % 2 else _ordrsp(n)) + "'\n"
            f.write(text)
            written += len(text)
        f.write(f"UNZ+{n}+BENCH0001'\n")
    return n


_CODEC = """
import sys, time
from gateway.formats.edifact.model import Message
from gateway.formats.edifact.reader import read
t = time.perf_counter()
messages = issues = 0
with open(sys.argv[1], "rb") as f:
    for item in read(f):
        if isinstance(item, Message):
            messages += 1
            issues += len(item.issues)
print(time.perf_counter() - t, messages, issues)
"""

# pydifact's own parse: the file as text, its tokenizer and parser, every segment built.
_PYDIFACT = """
import sys, time
from pydifact.segmentcollection import Interchange
t = time.perf_counter()
with open(sys.argv[1], encoding="latin-1") as f:
    text = f.read()
interchange = Interchange.from_str(text)
messages = sum(1 for s in interchange.segments if s.tag == "UNH")
print(time.perf_counter() - t, messages, 0)
"""


def _load() -> str:
    try:
        return str(os.getloadavg()[0])
    except OSError:
        return "?"


def run(
    size_mb: float, big_mb: float | None, workdir: Path, *, repeat: int = 3, pydifact_big: bool = False
) -> dict[str, object]:
    py = sys.executable
    report: dict[str, object] = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_before": _load(),
    }
    path = workdir / "bench_edifact.edi"
    count = generate(path, size_mb=size_mb)
    entry: dict[str, object] = {"file_mb": round(path.stat().st_size / 1e6, 1), "messages": count}
    entry["codec"] = asdict(measure_command([py, "-c", _CODEC], path, name="codec", repeat=repeat))
    entry["translate"] = asdict(
        measure_command([py, "-c", _TRANSLATE], path, name="translate", repeat=repeat)
    )
    entry["translate_1"] = asdict(
        measure_command([py, "-c", _TRANSLATE, "1"], path, name="translate", repeat=repeat)
    )
    entry["pydifact"] = asdict(measure_command([py, "-c", _PYDIFACT], path, name="pydifact", repeat=1))
    report["main"] = entry
    if big_mb:
        big = workdir / "bench_edifact_big.edi"
        big_count = generate(big, size_mb=big_mb)
        path.unlink()
        found: dict[str, object] = {"file_mb": round(big.stat().st_size / 1e6, 1), "messages": big_count}
        found["codec"] = asdict(measure_command([py, "-c", _CODEC], big, name="codec", repeat=1))
        found["translate"] = asdict(measure_command([py, "-c", _TRANSLATE], big, name="translate", repeat=1))
        found["translate_1"] = asdict(
            measure_command([py, "-c", _TRANSLATE, "1"], big, name="translate", repeat=1)
        )
        if pydifact_big:
            found["pydifact"] = asdict(measure_command([py, "-c", _PYDIFACT], big, name="pydifact", repeat=1))
        report["big"] = found
    report["load_after"] = _load()
    return report


def _line(label: str, m: dict[str, object], unit: str = "messages") -> str:
    tree = (
        f", with workers {m['tree_peak_mb']} MB"
        if m.get("tree_peak_mb", m["peak_mb"]) != m["peak_mb"]
        else ""
    )
    return (
        f"    {label:<34} {m['mb_per_s']:>6} MB/s  {m['sets_per_s']:>7} {unit}/s"
        f"  {m['seconds']:>7} s  peak {m['peak_mb']} MB{tree}"
    )


def _print(report: dict[str, object]) -> None:
    print(f"EDIFACT benchmark (Python {report['python']}, {report['cpus']} CPUs)")
    print(f"  load average before {report['load_before']}, after {report['load_after']}")
    for key in ("main", "big"):
        entry = report.get(key)
        if not isinstance(entry, dict):
            continue
        print(f"  DESADV + ORDRSP interchange: {entry['file_mb']} MB, {entry['messages']} messages")
        print(_line("codec (read + envelope checks)", entry["codec"]))
        print(_line("gateway translate", entry["translate"], "events"))
        if "translate_1" in entry:
            print(_line("gateway translate --jobs 1", entry["translate_1"], "events"))
        if "pydifact" in entry:
            mine, theirs = entry["translate"], entry["pydifact"]
            ratio = round(float(theirs["seconds"]) / max(float(mine["seconds"]), 1e-9), 1)
            print(_line("pydifact Interchange.from_str", theirs) + f"; translate {ratio}x faster")
            if key == "main" and float(entry["file_mb"]) >= 20:  # the goal is set on 20 MB
                wanted = GOALS["translate"] / PYDIFACT_SPEED
                verdict = "met" if ratio >= wanted else "not met"
                print(f"    against pydifact in this run: the goal is {wanted:.1f}x ({verdict})")
    print(f"  goals: translate {GOALS['translate']:g} MB/s, under {GOALS['memory_mb']:g} MB peak on 100 MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--big-mb", type=float, default=0.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pydifact-big", action="store_true", help="also run pydifact on the big file")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)  # a directory to be, as the option's help says
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        report = run(
            args.size_mb, args.big_mb or None, Path(tmp), repeat=args.repeat, pydifact_big=args.pydifact_big
        )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
