"""The per-document half of `gateway translate`: how a document's outcome is written (JSON lines on
stdout, issue and skip lines on stderr), and the chunks of the shared reading (see "shared reading"
in `gateway.cli.translate`, which runs the processes and writes the chunks in turn).

Every process sharing a file reads all of it and maps and renders only its own chunks, so the loop
here runs once per document in every process: it is among the compiled modules (`gateway.native`).
As Python (in the CLI) it cost each of two processes about 7,000 instructions more an 855 set of
the file (callgrind: 213,300 to 206,100), 3 % of what a process spent on the file.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import BinaryIO, NamedTuple

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

_UNITS = {"x12": "set", "edifact": "message"}  # what one document is called, per format

# What one chunk gives back: JSON lines, stderr lines, whether a document was rejected, and the
# line of the error that stopped the file (None when none did).
Rendered = tuple[str, str, bool, str | None]

# A document to map or a closing envelope item whose issues are to be written.
_Item = (
    pipeline.PendingSet
    | edifact_translate.PendingMessage
    | x12.GroupClosed
    | x12.InterchangeClosed
    | edifact.GroupClosed
    | edifact.InterchangeClosed
)


def describe_issue(issue: Issue) -> str:
    return f"{issue.severity}: {issue.code}: {issue.location.describe()}: {issue.message}"


def describe_failure(exc: FormatError | OSError | GatewayError, name: str) -> str:
    """The one line that says why a file could not be translated (further)."""
    if isinstance(exc, FormatError):
        return exc.describe() + "\n"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {name}: {exc.strerror or exc}\n"
    return f"{type(exc).__name__}: {name}: {exc.detail}\n"


def skip_line(name: str, unit: str, control: str, doc_type: str, why: str) -> str:
    """The stderr line of a document that has no map."""
    return f"skipped: {name} {unit} {control} ({doc_type}): {why}\n"


def render_outcome(item: pipeline.DocumentOutcome, name: str) -> tuple[str, str]:
    """The JSON lines and the stderr lines of one document."""
    lines = []
    if item.skipped is not None:
        unit = _UNITS.get(item.format, "document")
        lines.append(skip_line(name, unit, item.control_number, item.doc_type, item.skipped))
    lines += [describe_issue(issue) + "\n" for issue in item.issues]
    if item.json_lines is not None:
        return item.json_lines, "".join(lines)
    return "".join([f"{event.model_dump_json()}\n" for event in item.events]), "".join(lines)


def render_note(issues: Sequence[Issue]) -> tuple[str, bool]:
    """The stderr lines of envelope-level issues and whether one is an error."""
    text = "".join([describe_issue(issue) + "\n" for issue in issues])
    return text, any(issue.severity is Severity.ERROR for issue in issues)


class SharedFile(NamedTuple):
    """What every process sharing the reading of one file needs to know of it."""

    fmt: detect.Format
    path: str
    sha: str
    maps: MapRegistry
    partners: PartnerRegistry | None
    partner_id: str | None


class Share:
    """Which chunk is being read and whether it is this process's (the EDIFACT reader's `skip` asks)."""

    def __init__(self, mine: bool) -> None:
        self.mine = mine
        self.chunk = 0  # the chunk being read

    def skip(self) -> bool:
        return not self.mine


def chunks(
    f: SharedFile, k: int, n: int, share: Share, *, batch: int, read_bytes: int
) -> Generator[tuple[int, Rendered], None, None]:
    """Process k of n: read the whole file; each chunk that is k's, mapped and rendered, with its
    number. A chunk ends with the document that brings it to `batch` segments; EDIFACT is read
    `read_bytes` at a time. The last one yielded is the file's last chunk, or the one an error ended
    (with its line); then `share.chunk` is its number, whichever process's it is."""
    chunk = size = 0
    events: list[str] = []
    lines: list[str] = []
    rejected = False
    try:
        with open(f.path, "rb") as fp:
            for units, item in _items(fp, f, share, read_bytes):
                if share.mine:
                    text, issue_lines, bad = _render(item, f)
                    events.append(text)
                    lines.append(issue_lines)
                    rejected = rejected or bad
                size += units
                if size >= batch:
                    if share.mine:
                        yield chunk, ("".join(events), "".join(lines), rejected, None)
                        events, lines, rejected = [], [], False
                    chunk, size = chunk + 1, 0
                    share.mine = chunk % n == k
                    share.chunk = chunk
    except (FormatError, OSError, GatewayError) as exc:
        if share.mine:
            yield chunk, ("".join(events), "".join(lines), rejected, describe_failure(exc, f.path))
        return
    if share.mine:
        yield chunk, ("".join(events), "".join(lines), rejected, None)


def _items(fp: BinaryIO, f: SharedFile, share: Share, read_bytes: int) -> Iterator[tuple[int, _Item]]:
    """The file's documents and closing envelope items with issues, each with its size in segments
    (0 for an envelope item, which never ends a chunk). EDIFACT messages of other processes' chunks
    come framed only (`skip`: counted, not split); X12 sets are left as the text the reader cut."""
    if f.fmt is detect.Format.X12:
        for item in pipeline.read_x12(fp, partners=f.partners, partner_id=f.partner_id, file_name=f.path):
            if isinstance(item, pipeline.PendingSet):
                yield len(item.ts.segments), item
            elif isinstance(item, x12.GroupClosed | x12.InterchangeClosed) and item.issues:
                yield 0, item  # as `pipeline.x12_documents` notes them
        return
    for found in edifact_translate.read_edifact(
        fp,
        partners=f.partners,
        partner_id=f.partner_id,
        file_name=f.path,
        skip=share.skip,
        chunk_size=read_bytes,
    ):
        if isinstance(found, edifact_translate.PendingMessage):
            yield len(found.message.segments), found
        elif isinstance(found, edifact.GroupClosed | edifact.InterchangeClosed) and found.issues:
            yield 0, found  # as `edifact_translate.edifact_documents` notes them


def _render(item: _Item, f: SharedFile) -> tuple[str, str, bool]:
    """A document's JSON lines, its stderr lines and whether it was rejected; an envelope item's
    stderr lines and whether one is an error."""
    if isinstance(item, pipeline.PendingSet):
        ts = item.ts
        text, issues, skipped = pipeline.map_set_json(
            ts,
            item.partner,
            item.partner_id,
            f.maps,
            document_id=ids.document_id(f.sha, ts.ordinal),
            file_name=f.path,
        )
        found = [] if skipped is None else [skip_line(f.path, "set", ts.control_number, ts.set_id, skipped)]
        if issues:
            found += [describe_issue(issue) + "\n" for issue in issues]
        return text or "", "".join(found), any(i.severity is Severity.ERROR for i in issues)
    if isinstance(item, edifact_translate.PendingMessage):
        mapped = edifact_translate.map_message(
            item.message,
            item.partner,
            item.partner_id,
            f.maps,
            content_sha256=f.sha,
            file_name=f.path,
            as_json=True,
        )
        outcome = mapped.outcome()
        events, issue_lines = render_outcome(outcome, f.path)
        return events, issue_lines, outcome.rejected
    note, bad = render_note(item.issues)
    return "", note, bad
