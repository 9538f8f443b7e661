"""Streaming X12 reader (X12 control segments ISA/IEA, GS/GE, ST/SE; 004010-005010).

`read` turns bytes (or a binary stream) into `X12Item`s in file order, holding one transaction set at a
time: it reads the source in chunks, splits each chunk on the segment terminator and then on the element
separator (C-level `str.split`, no per-character Python work), and keeps only the unterminated tail of a
chunk for the next one. Memory grows with the largest set, not with the file.

The hot path has no Python code per segment when a chunk is clean (no empty segment, nothing to strip,
checked once per chunk from the pieces' first and last characters): the envelope segments among the
pieces are found with `startswith` and `compress`, and each run of set segments between them is handed
to the open set as text, with offsets from `accumulate` over the pieces' lengths. A set's body is split
into elements only when something reads it (`model.SegmentList`): checking the envelopes needs ST and
SE alone. Other chunks, and the last piece of the input, go one segment at a time; both ways give the
same segments, positions and offsets.

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
from itertools import accumulate, compress, count, repeat
from operator import add, itemgetter
from typing import BinaryIO

from gateway.errors import FormatError
from gateway.formats.issues import Location
from gateway.formats.x12.envelope import ENVELOPE_TAGS, Envelope
from gateway.formats.x12.isa import check_isa, frame_isa, header_from_frame
from gateway.formats.x12.model import Delimiters, X12Item

CHUNK_SIZE = 1 << 20
MAX_SEGMENT_CHARS = 16 << 20  # an unterminated run this long means the terminator is wrong
_BOM = b"\xef\xbb\xbf"
_PAD = " \t\r\n\x00\x1a"  # allowed around interchanges (blanks, line breaks, NUL and Ctrl-Z padding)
_LINE_BREAKS = ("\r\n", "\n")
_head = itemgetter(slice(None, 1))
_head2 = itemgetter(slice(None, 2))
_PREFIXES = frozenset(tag[:2] for tag in ENVELOPE_TAGS)  # what an envelope segment starts with
_end = itemgetter(slice(-1, None))


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


def _split(buf: str, term: str) -> tuple[str, list[str]]:
    """`buf` split on the terminator plus the line break that follows it everywhere, if one does."""
    n = buf.count(term)
    for brk in _LINE_BREAKS:
        if term + brk in buf:
            pieces = buf.split(term + brk)
            if len(pieces) == n + 1:
                return term + brk, pieces
    return term, buf.split(term)


def _segments(
    env: Envelope, text: _Text, buf: str, base: int, delimiters: Delimiters
) -> Generator[X12Item, None, tuple[str, int] | None]:
    """Read segments until the input ends (returns None) or an ISA needs reframing (returns the text left)."""
    cut = _Cut(delimiters)
    term = cut.term
    off = base
    while True:
        eof = text.eof
        if not eof:
            chunk = text.read()
            eof = not chunk
            buf += chunk
        at = off
        if buf[:1] in cut.lead:  # blanks before the first segment of the chunk, as the slow path strips
            rest = buf.lstrip(cut.lead)
            off += len(buf) - len(rest)
            buf = rest
        sep, pieces = _split(buf, term)
        tail = pieces.pop()
        if not eof and len(tail) > MAX_SEGMENT_CHARS:
            where = Location(file=env.file_name, offset=at, segment_position=env.position + 1)
            raise FormatError(f"no segment terminator {term!r} in {MAX_SEGMENT_CHARS} characters", where)
        step = len(sep)
        starts = list(accumulate(map(add, map(len, pieces), repeat(step)), initial=off))
        off = starts[-1]
        if eof:
            pieces.append(tail)
            starts.append(off + len(tail) + step)
        clean = len(pieces) - eof if cut.clean(pieces[:-1] if eof else pieces) else 0
        resumed = yield from cut.pieces(env, pieces, starts, clean)
        if resumed is not None:
            i, start = resumed
            return sep.join([*pieces[i:], *([] if eof else [tail])]), start
        if eof:
            yield from env.finish()
            return None
        buf = tail


class _Cut:
    """Cuts split text into segments for one interchange (its delimiters; those of an ISA read inline)."""

    def __init__(self, delimiters: Delimiters) -> None:
        self.term = delimiters.segment
        self.trail = "\r" if self.term == "\n" and "\r" not in _used(delimiters) else ""
        self._set(delimiters)

    def _set(self, delimiters: Delimiters) -> None:
        used = _used(delimiters)
        self.el = delimiters.element
        self.lead = "".join(c for c in " \t\r\n" if c not in used)
        self.marks = tuple(tag + self.el for tag in sorted(ENVELOPE_TAGS))  # how envelope segments start

    def clean(self, pieces: list[str]) -> bool:
        """True when no piece is empty, has blanks to strip or is a bare envelope tag (C-level passes over
        the first characters and the pieces themselves)."""
        heads = set(map(_head, pieces))
        if "" in heads or not heads.isdisjoint(self.lead) or not ENVELOPE_TAGS.isdisjoint(pieces):
            return False
        return not self.trail or self.trail not in set(map(_end, pieces))

    def pieces(
        self, env: Envelope, pieces: list[str], starts: list[int], clean: int
    ) -> Generator[X12Item, None, tuple[int, int] | None]:
        """Fold `pieces` (segment texts at `starts`) into `env`; the index and offset of an ISA to reframe.

        The first `clean` pieces need no stripping and none is empty: the envelope segments among them
        are found with one `startswith` per piece (tag and element separator), and each run of set
        segments between them is handed to the open set as text, with no Python code per segment.
        The rest go one by one.
        """
        i = 0
        if clean:
            el, lead = self.el, self.lead
            k = 0
            for m in [*_marked(pieces, clean, self.marks), clean]:
                body = env.pieces
                if k < m and body is not None:
                    body.extend(pieces[k:m])
                    env.starts.extend(starts[k:m])
                    k = m
                while k <= m and k < clean:  # m itself, and before it any segment outside a set
                    piece = pieces[k]
                    if (yield from self._control(env, piece, piece.split(el), starts[k])):
                        return k, starts[k]
                    k += 1
                    if self.el != el or self.lead != lead:  # an ISA read inline changed the delimiters
                        clean = 0
                        break
                if k >= clean:
                    break
            i = k
        el = self.el
        for q in range(i, len(pieces)):  # pieces with blanks to strip, empty ones, the last one of the input
            piece = pieces[q]
            start = starts[q]
            if piece[:1] in self.lead:
                stripped = piece.lstrip(self.lead)
                if not stripped:
                    continue
                start += len(piece) - len(stripped)
                piece = stripped
            if self.trail and piece[-1] in self.trail:
                piece = piece.rstrip(self.trail)
            body = env.pieces
            if body is not None and piece.partition(el)[0] not in ENVELOPE_TAGS:
                body.append(piece)
                env.starts.append(start)
                continue
            if (yield from self._control(env, piece, piece.split(el), start)):
                pieces[q] = piece
                return q, start
            el = self.el
        return None

    def _control(
        self, env: Envelope, piece: str, els: list[str], start: int
    ) -> Generator[X12Item, None, bool]:
        """An envelope segment, or any segment outside a set; True when an ISA must be reframed."""
        tag = els[0]
        if env.interchange is not None and tag != "ISA":
            yield from env.on_segment(tag, els, start)
            return False
        if not piece.startswith("ISA"):
            if not piece.strip(_PAD):
                return False
            where = Location(
                file=env.file_name, offset=start, segment_position=env.position + 1, segment_tag=tag[:3]
            )
            raise FormatError("only an ISA may follow the end of an interchange", where)
        yield from env.close_interchange(None)
        term = self.term
        frame = frame_isa(piece + term, final=False, location=Location(file=env.file_name, offset=start))
        if frame is None or frame.length != len(piece) + 1 or frame.delimiters.segment != term:
            return True
        header = header_from_frame(frame, offset=start, index=env.interchanges)
        yield from env.open_interchange(header, check_isa(header, env.isa_location()))
        self._set(frame.delimiters)
        return False


def _marked(pieces: list[str], clean: int, marks: tuple[str, ...]) -> list[int]:
    """The indices of the first `clean` pieces that start with one of `marks` (an envelope tag and the
    element separator), in order. The pieces whose first two characters begin an envelope tag are
    found by C-level passes (a slice and a set look-up per piece, cheaper than `startswith` with the
    tuple of marks on every piece), and only those are matched against the marks."""
    candidates = compress(count(), map(_PREFIXES.__contains__, map(_head2, pieces[:clean])))
    return [i for i in candidates if pieces[i].startswith(marks)]


def _used(delimiters: Delimiters) -> set[str | None]:
    return {delimiters.segment, delimiters.element, delimiters.component, delimiters.repetition}
