"""Streaming X12 reader (X12 control segments ISA/IEA, GS/GE, ST/SE; 004010-005010).

`read` turns bytes (or a binary stream) into `X12Item`s in file order, holding one transaction set at a
time: it reads the source in chunks, splits each chunk on the segment terminator and then on the element
separator (C-level `str.split`, no per-character Python work), and keeps only the unterminated tail of a
chunk for the next one. Memory grows with the largest set, not with the file.

Delimiters come from each ISA (see `isa.py`), so every interchange of a file may use its own. Line
breaks, blanks and tabs around segments are dropped unless they are themselves a delimiter, so
newline-terminated, CR/LF-wrapped and indented files read alike. ISB/ISE are skipped; a TA1 inside an
interchange is yielded as `TA1Received`.

Text decoding: UTF-8 through an incremental decoder (a character cut by a chunk boundary is completed
with the next chunk). From the first chunk that is not valid UTF-8 on, the rest of the file is read as
latin-1, which accepts every byte; the bytes the UTF-8 decoder was still holding are decoded with that
chunk, so nothing is lost or doubled at the boundary. X12 data is ASCII in practice (its basic and
extended character sets), so the switch only matters for partners who send latin-1 names.

Offsets are character offsets in the decoded text, after a leading UTF-8 byte order mark.
Only bytes that cannot be framed raise `FormatError`; envelope problems become `Issue`s on the items.
"""

from __future__ import annotations

import codecs
from collections.abc import Generator, Iterator
from typing import BinaryIO

from gateway.errors import FormatError
from gateway.formats.issues import Location
from gateway.formats.x12.envelope import ENVELOPE_TAGS, Envelope
from gateway.formats.x12.isa import check_isa, frame_isa, header_from_frame
from gateway.formats.x12.model import Delimiters, Segment, X12Item

CHUNK_SIZE = 1 << 20
MAX_SEGMENT_CHARS = 16 << 20  # an unterminated run this long means the terminator is wrong
_BOM = b"\xef\xbb\xbf"
_PAD = " \t\r\n\x00\x1a"  # allowed around interchanges (blanks, line breaks, NUL and Ctrl-Z padding)
_LINE_BREAKS = ("\r\n", "\n")


class _Text:
    """Decoded text from a byte source, chunk by chunk (UTF-8, then latin-1 once UTF-8 fails)."""

    def __init__(self, source: bytes | BinaryIO, chunk_size: int) -> None:
        self._bytes: bytes | None = None
        self._stream: BinaryIO | None = None
        if isinstance(source, bytes | bytearray | memoryview):
            self._bytes = bytes(source)
        else:
            self._stream = source
        self._pos = 0
        self._chunk = chunk_size
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._latin1 = False
        self._first = True
        self.eof = False

    def _raw(self) -> bytes:
        if self._bytes is not None:
            data = self._bytes[self._pos : self._pos + self._chunk]
            self._pos += len(data)
            return data
        assert self._stream is not None
        data = self._stream.read(self._chunk)
        if not isinstance(data, bytes | bytearray):
            raise FormatError("the X12 source must be a binary stream")
        return bytes(data)

    def read(self) -> str:
        """The next piece of text; "" only once the source is exhausted (then `eof` is true)."""
        text = ""
        while not text and not self.eof:
            text = self._decode(self._raw())
        return text

    def _decode(self, data: bytes) -> str:
        if self._first:
            self._first = False
            if data.startswith(_BOM):
                data = data[len(_BOM) :]
        if not data:
            self.eof = True
            if self._latin1:
                return ""
            held, _ = self._utf8.getstate()
            return held.decode("latin-1")
        if self._latin1:
            return data.decode("latin-1")
        try:
            return self._utf8.decode(data)
        except UnicodeDecodeError:
            held, _ = self._utf8.getstate()
            self._latin1 = True
            return (held + data).decode("latin-1")


def read(
    source: bytes | BinaryIO, *, file_name: str | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[X12Item]:
    """Read every interchange in `source`, yielding items in file order.

    Raises FormatError for bytes that cannot be framed: empty input, no ISA at the start, a truncated
    ISA, a letter/digit/blank delimiter, or something other than an ISA after an interchange.
    """
    text = _Text(source, chunk_size)
    env = Envelope(file_name)
    buf = text.read()
    base = 0
    while True:
        while True:  # skip padding between interchanges, reading on as needed
            rest = buf.lstrip(_PAD)
            base += len(buf) - len(rest)
            buf = rest
            if buf or text.eof:
                break
            buf = text.read()
        if not buf:
            break
        where = Location(file=file_name, offset=base, segment_position=env.position + 1, segment_tag="ISA")
        frame = frame_isa(buf, final=text.eof, location=where)
        while frame is None:
            buf += text.read()
            frame = frame_isa(buf, final=text.eof, location=where)
        header = header_from_frame(frame, offset=base, index=env.interchanges)
        yield from env.open_interchange(header, check_isa(header, env.isa_location()))
        buf, base = buf[frame.length :], base + frame.length
        resumed = yield from _segments(env, text, buf, base, frame.delimiters)
        if resumed is None:
            break
        buf, base = resumed
    if env.interchanges == 0:
        raise FormatError("the input is empty", Location(file=file_name, offset=0))


def _separator(buf: str, term: str) -> str:
    """The terminator plus the line break that follows it everywhere in `buf`, if one does."""
    n = buf.count(term)
    for brk in _LINE_BREAKS:
        if term + brk in buf and buf.count(term + brk) == n:
            return term + brk
    return term


def _segments(
    env: Envelope, text: _Text, buf: str, base: int, delimiters: Delimiters
) -> Generator[X12Item, None, tuple[str, int] | None]:
    """Read segments until the input ends (returns None) or an ISA needs reframing (returns the text left)."""
    term, el = delimiters.segment, delimiters.element
    used = {term, el, delimiters.component, delimiters.repetition}
    lead = "".join(c for c in " \t\r\n" if c not in used)
    trail = "\r" if term == "\n" and "\r" not in used else ""
    off = base
    segs = env.segments
    new = tuple.__new__
    while True:
        eof = text.eof
        if not eof:
            chunk = text.read()
            eof = not chunk
            buf += chunk
        sep = _separator(buf, term)
        pieces = buf.split(sep)
        buf = "" if eof else pieces.pop()
        if len(buf) > MAX_SEGMENT_CHARS:
            where = Location(file=env.file_name, offset=off, segment_position=env.position + 1)
            raise FormatError(f"no segment terminator {term!r} in {MAX_SEGMENT_CHARS} characters", where)
        step = len(sep)
        for i, piece in enumerate(pieces):
            start = off
            off += len(piece) + step
            if piece[:1] in lead:
                stripped = piece.lstrip(lead)
                if not stripped:
                    continue
                start += len(piece) - len(stripped)
                piece = stripped
            if trail and piece[-1] in trail:
                piece = piece.rstrip(trail)
            els = piece.split(el)
            tag = els[0]
            if segs is not None and tag not in ENVELOPE_TAGS:
                segs.append(new(Segment, (tag, tuple(els[1:]), len(segs) + 1, start)))
                continue
            if env.interchange is not None and tag != "ISA":
                yield from env.on_segment(tag, els, start)
                segs = env.segments
                continue
            if not piece.startswith("ISA"):
                if not piece.strip(_PAD):
                    continue
                where = Location(
                    file=env.file_name, offset=start, segment_position=env.position + 1, segment_tag=tag[:3]
                )
                raise FormatError("only an ISA may follow the end of an interchange", where)
            yield from env.close_interchange(None)
            frame = frame_isa(piece + term, final=False, location=Location(file=env.file_name, offset=start))
            if frame is None or frame.length != len(piece) + 1 or frame.delimiters.segment != term:
                return sep.join([piece, *pieces[i + 1 :], *([] if eof else [buf])]), start
            header = header_from_frame(frame, offset=start, index=env.interchanges)
            yield from env.open_interchange(header, check_isa(header, env.isa_location()))
            el = frame.delimiters.element
            used = {term, el, frame.delimiters.component, frame.delimiters.repetition}
            lead = "".join(c for c in " \t\r\n" if c not in used)
            segs = env.segments
        if eof:
            yield from env.finish()
            return None
