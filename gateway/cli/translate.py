"""`gateway translate FILE...`: canonical events as JSON lines, no database.

Exit status: 0 when every file was read and mapped, 1 when some transaction set was rejected by
its issues, 2 when some file could not be read at all (a one-line typed error on stderr names
the file and the position). Sets we have no map for are reported on stderr as skipped.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TextIO

from gateway.errors import FormatError, GatewayError
from gateway.formats.issues import Issue, Severity
from gateway.mapping import MapRegistry
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline import translate as pipeline

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2
_UNITS = {"x12": "set", "edifact": "message"}  # what one document is called, per format


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_issue(issue: Issue) -> str:
    return f"{issue.severity}: {issue.code}: {issue.location.describe()}: {issue.message}"


def translate_files(
    files: list[Path],
    *,
    maps: MapRegistry,
    partners: PartnerRegistry | None,
    partner_id: str | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """Translate each file; returns the exit status."""
    status = EXIT_OK
    write = out.write
    for path in files:
        name = str(path)
        try:
            sha = file_sha256(path)
            with path.open("rb") as fp:
                ctx = pipeline.TranslateContext(
                    content_sha256=sha, maps=maps, partners=partners, partner_id=partner_id, file_name=name
                )
                for item in pipeline.documents(fp, ctx):
                    if isinstance(item, pipeline.EnvelopeNote):
                        for issue in item.issues:
                            err.write(describe_issue(issue) + "\n")
                            if issue.severity is Severity.ERROR:
                                status = max(status, EXIT_REJECTED)
                        continue
                    if item.skipped is not None:
                        unit = _UNITS.get(item.format, "document")
                        what = f"{unit} {item.control_number} ({item.doc_type})"
                        err.write(f"skipped: {name} {what}: {item.skipped}\n")
                    for issue in item.issues:
                        err.write(describe_issue(issue) + "\n")
                    if item.rejected:
                        status = max(status, EXIT_REJECTED)
                    for event in item.events:
                        write(event.model_dump_json())
                        write("\n")
        except FormatError as exc:
            err.write(exc.describe() + "\n")
            status = EXIT_UNREADABLE
        except OSError as exc:
            err.write(f"{type(exc).__name__}: {name}: {exc.strerror or exc}\n")
            status = EXIT_UNREADABLE
        except GatewayError as exc:
            err.write(f"{type(exc).__name__}: {name}: {exc.detail}\n")
            status = EXIT_UNREADABLE
    out.flush()
    return status


def run(files: list[Path], *, maps_dir: Path, partners_dir: Path | None, partner_id: str | None) -> int:
    from gateway.partners.registry import load_partners

    maps = MapRegistry.load(maps_dir)
    partners = load_partners(partners_dir) if partners_dir is not None and partners_dir.is_dir() else None
    return translate_files(
        files, maps=maps, partners=partners, partner_id=partner_id, out=sys.stdout, err=sys.stderr
    )
