"""Benchmark of the X12 codec: read + envelope checks on large generated interchanges.

Generates an interchange of 856 ship notices (shipment / order / pack / item, with TD1, TD5, REF, DTM,
N1 loops, PRF, MAN, LIN, SN1 and PID) and one of 855 acknowledgements, then measures, each in a fresh
subprocess so peak memory is the codec's own:

- throughput of `gateway.formats.x12.reader.read` consumed to the end (MB/s and sets/s);
- peak resident memory (ru_maxrss) of that subprocess;
- pyx12's X12Reader on the same file, when pyx12 is importable, and the ratio of the two.

    python -m bench.x12_bench --size-mb 20 [--big-mb 100] [--json]

`measure_command(cmd, file)` times any command run on a file, so a later step can add
`gateway translate` to the same report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_ISA = "*".join(
    [
        *("ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SUPPLIER".ljust(15), "ZZ", "BUYER".ljust(15)),
        *("240115", "1230", "U", "00401", "{ctl:09d}", "0", "P", ">~\n"),
    ]
)


def _ship_notice(n: int) -> list[str]:
    """One 856 with 1 shipment, 2 orders, 2 packs per order and 3 items per pack."""
    segs = [
        f"ST*856*{n:04d}",
        f"BSN*00*SHP{n:09d}*20240115*1230*0001",
        "HL*1**S",
        "TD1*CTN25*12****G*245.6*LB",
        "TD5*B*2*UPSN*M*UPS GROUND",
        f"REF*BM*BOL{n:010d}",
        f"REF*CN*1Z999AA1{n:010d}",
        "DTM*011*20240115*1230",
        "DTM*017*20240118",
        "N1*ST*ACME DISTRIBUTION CENTER 4*92*0004",
        "N3*4100 COMMERCE PARKWAY",
        "N4*COLUMBUS*OH*43215*US",
        "N1*SF*GENERAL SUPPLY CO*92*S07012345",
    ]
    hl = 1
    for order in range(2):
        hl += 1
        order_hl = hl
        segs += [f"HL*{hl}*1*O", f"PRF*PO{n:07d}{order}***20240110", f"REF*IA*V{n:06d}"]
        for pack in range(2):
            hl += 1
            pack_hl = hl
            segs += [f"HL*{hl}*{order_hl}*P", f"MAN*GM*00012345{n:08d}{order}{pack}00"]
            for item in range(3):
                hl += 1
                segs += [
                    f"HL*{hl}*{pack_hl}*I",
                    f"LIN*{item + 1}*BP*PART-{item:04d}-{pack}*VP*VEND-{n % 997:05d}*UP*0123456789{item:02d}",
                    f"SN1**{12 * (item + 1)}*EA",
                    f"PID*F****WIDGET MODEL {item} SIZE {pack}",
                ]
    segs.append(f"CTT*{hl}")
    segs.append(f"SE*{len(segs) + 1}*{n:04d}")
    return segs


def _ack(n: int) -> list[str]:
    """One 855 with 4 lines, each acknowledged with a ship date."""
    segs = [f"ST*855*{n:04d}", f"BAK*00*AC*PO{n:08d}*20240110****SO{n:08d}*20240111", "REF*IA*V12345"]
    segs += ["N1*ST*ACME DISTRIBUTION CENTER 4*92*0004", "N1*SU*GENERAL SUPPLY CO*92*S07012345"]
    for line in range(4):
        segs += [
            f"PO1*{line + 1}*{10 * (line + 1)}*EA*{5 + line}.25*PE*BP*PART-{line:04d}*VP*VEND-{n % 997:05d}",
            f"PID*F****WIDGET MODEL {line}",
            f"ACK*IA*{10 * (line + 1)}*EA*068*20240120",
        ]
    segs.append("CTT*4")
    segs.append(f"SE*{len(segs) + 1}*{n:04d}")
    return segs


def generate(path: Path, *, size_mb: float, kind: str = "856", min_sets: int = 10_000) -> int:
    """Write one interchange of `kind` sets of at least `size_mb` MB and `min_sets` sets; returns the
    number of sets."""
    make = _ship_notice if kind == "856" else _ack
    functional = "SH" if kind == "856" else "PR"
    target = int(size_mb * 1_000_000)
    sets = 0
    written = 0
    with path.open("w", encoding="ascii", newline="") as out:
        head = _ISA.format(ctl=1) + f"GS*{functional}*SUPPLIER*BUYER*20240115*1230*1*X*004010~\n"
        out.write(head)
        written += len(head)
        while written < target or sets < min_sets:
            sets += 1
            block = "~\n".join(make(sets)) + "~\n"
            out.write(block)
            written += len(block)
        tail = f"GE*{sets}*1~\nIEA*1*000000001~\n"
        out.write(tail)
    return sets


_CODEC = """
import sys, time
from gateway.formats.x12.model import TransactionSet
from gateway.formats.x12.reader import read
t = time.perf_counter()
sets = 0
issues = 0
with open(sys.argv[1], "rb") as f:
    for item in read(f):
        if isinstance(item, TransactionSet):
            sets += 1
            issues += len(item.issues)
print(time.perf_counter() - t, sets, issues)
"""

_PYX12 = """
import sys, time
import pyx12.x12file
t = time.perf_counter()
sets = 0
for seg in pyx12.x12file.X12Reader(sys.argv[1]):
    if seg.get_seg_id() == "ST":
        sets += 1
print(time.perf_counter() - t, sets, 0)
"""


# `gateway translate` as the CLI runs it (read, check envelopes, identify, map, write JSON lines),
# with the JSON lines written to /dev/null so the pipe does not dominate the measure.
_TRANSLATE = r"""
import os, sys, time
from pathlib import Path
from gateway.cli.translate import translate_files
from gateway.mapping import MapRegistry
from gateway.partners.registry import load_partners

class Count:
    def __init__(self, sink):
        self.sink, self.lines = sink, 0
    def write(self, text):
        self.lines += text.count("\n")
        return self.sink.write(text)
    def flush(self):
        self.sink.flush()

maps, partners = MapRegistry.load(Path("edi_maps")), load_partners(Path("partners"))
with open(os.devnull, "w") as sink:
    out = Count(sink)
    start = time.perf_counter()
    status = translate_files(
        [Path(sys.argv[1])], maps=maps, partners=partners, partner_id=None, out=out, err=sys.stderr
    )
    elapsed = time.perf_counter() - start
print(f"{elapsed} {out.lines} events")
sys.exit(status)
"""


@dataclass
class Measurement:
    name: str
    seconds: float
    sets: int
    mb_per_s: float
    sets_per_s: float
    peak_mb: float


def measure_command(cmd: list[str], file: Path, *, name: str | None = None) -> Measurement:
    """Run `cmd + [file]` in a subprocess and measure it.

    The command may print "seconds sets ..." on its first output line (its own timing of the work,
    without interpreter start-up); otherwise the wall time is used. Peak memory is that child's own
    ru_maxrss, taken from `os.wait4`.
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*cmd, str(file)], stdout=subprocess.PIPE, stderr=err, cwd=ROOT)
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{cmd!r} failed: {err.read().decode(errors='replace')[-2000:]}")
    fields = out.split()
    try:
        seconds, sets = float(fields[0]), int(fields[1])
    except (IndexError, ValueError):
        seconds, sets = wall, 0
    size_mb = file.stat().st_size / 1_000_000
    return Measurement(
        name=name or " ".join(cmd),
        seconds=round(seconds, 3),
        sets=sets,
        mb_per_s=round(size_mb / seconds, 1),
        sets_per_s=round(sets / seconds),
        peak_mb=round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
    )


def _pyx12_available() -> bool:
    try:
        import pyx12.x12file  # noqa: F401
    except ImportError:
        return False
    return True


def run(size_mb: float, big_mb: float | None, workdir: Path) -> dict[str, object]:
    report: dict[str, object] = {"python": sys.version.split()[0], "size_mb": size_mb}
    results: list[dict[str, object]] = []
    notes: list[str] = ["tigershark is not installed (it targets Python 2); no comparison with it"]
    for kind in ("856", "855"):
        file = workdir / f"bench_{kind}.edi"
        sets = generate(file, size_mb=size_mb, kind=kind)
        codec = measure_command([sys.executable, "-c", _CODEC], file, name=f"codec {kind}")
        entry: dict[str, object] = {"kind": kind, "file_mb": round(file.stat().st_size / 1e6, 1)}
        entry["generated_sets"] = sets
        entry["codec"] = asdict(codec)
        translate = measure_command(
            [sys.executable, "-c", _TRANSLATE], file, name=f"gateway translate {kind}"
        )
        entry["translate"] = asdict(translate)
        if kind == "856":
            if _pyx12_available():
                other = measure_command([sys.executable, "-c", _PYX12], file, name="pyx12 X12Reader")
                entry["pyx12"] = asdict(other)
                entry["codec_vs_pyx12"] = round(other.seconds / codec.seconds, 1)
            else:
                notes.append("pyx12 is not importable; no comparison with it")
        results.append(entry)
        file.unlink()
    if big_mb:
        file = workdir / "bench_big_856.edi"
        generate(file, size_mb=big_mb, kind="856")
        big = measure_command([sys.executable, "-c", _CODEC], file, name=f"codec 856 {big_mb:g} MB")
        big_translate = measure_command([sys.executable, "-c", _TRANSLATE], file, name="translate big")
        report["big"] = {
            "file_mb": round(file.stat().st_size / 1e6, 1),
            "codec": asdict(big),
            "translate": asdict(big_translate),
        }
        file.unlink()
    report["results"] = results
    report["notes"] = notes
    return report


def _print(report: dict[str, object]) -> None:
    print(f"X12 codec benchmark (Python {report['python']})")
    for entry in report["results"]:  # type: ignore[attr-defined]
        codec = entry["codec"]
        print(
            f"  {entry['kind']}: {entry['file_mb']} MB, {codec['sets']} sets: {codec['mb_per_s']} MB/s, "
            f"{codec['sets_per_s']} sets/s, {codec['seconds']} s, peak {codec['peak_mb']} MB"
        )
        tr = entry["translate"]
        print(
            f"       gateway translate: {tr['mb_per_s']} MB/s, {tr['seconds']} s, peak {tr['peak_mb']} MB"
            f" ({tr['sets']} events written)"
        )
        if "pyx12" in entry:
            p = entry["pyx12"]
            print(
                f"       pyx12 X12Reader: {p['mb_per_s']} MB/s, {p['seconds']} s, peak {p['peak_mb']} MB;"
                f" codec is {entry['codec_vs_pyx12']}x faster"
            )
    if "big" in report:
        big = report["big"]
        codec = big["codec"]  # type: ignore[index]
        tr = big["translate"]  # type: ignore[index]
        print(
            f"  856 {big['file_mb']} MB: codec {codec['mb_per_s']} MB/s, peak {codec['peak_mb']} MB;"  # type: ignore[index]
            f" gateway translate {tr['mb_per_s']} MB/s, peak {tr['peak_mb']} MB"
        )
    for note in report["notes"]:  # type: ignore[attr-defined]
        print(f"  note: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=float, default=20.0, help="size of each generated file")
    parser.add_argument(
        "--big-mb", type=float, default=0.0, help="also measure peak memory on a file this big"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--workdir", type=Path, default=None, help="where to write the generated files")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        report = run(args.size_mb, args.big_mb or None, Path(tmp))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
