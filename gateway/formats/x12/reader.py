"""Streaming X12 reader (X12 control segments ISA/IEA, GS/GE, ST/SE; 004010-005010).

`read` turns bytes (or a binary stream) into `X12Item`s in file order, holding one transaction set at a
time: it reads the source in chunks and keeps only the unterminated tail of a chunk for the next one.
Memory grows with the largest set, not with the file.

The hot path has no Python code per segment: in a chunk, one regular-expression pass finds the
envelope segments (a separator, then an envelope tag and the element separator), only those are
split into elements, and each run of set segments between them is handed to the open set as one
text (`runs.Run`). Checking the envelopes needs ST, SE and the number of segments (`str.count`), so
a set is split into segments and elements only when something reads it (`model.SegmentList`); a
set nobody maps costs little more than the pass that found its ST and SE. A chunk that holds
something only the one-at-a-time way handles (an empty segment, blanks to strip, a bare envelope tag,
a carriage return to drop), the segments from an ISA on, and the last piece of the input go one
segment at a time; both ways give the same segments, positions and offsets.

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
import re
from collections.abc import Generator, Iterator
from itertools import accumulate, repeat
from operator import add
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
    source: bytes | BinaryIO,
    *,
    file_name: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    scan: bool = True,
) -> Iterator[X12Item]:
    """Read every interchange in `source`, yielding items in file order.

    `scan=False` reads every segment the one-at-a-time way (the reference the fast way is tested
    against; the items are the same).

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
        resumed = yield from _segments(env, text, buf, base, frame.delimiters, scan)
        if resumed is None:
            break
        buf, base = resumed
    if env.interchanges == 0:
        raise FormatError("the input is empty", Location(file=file_name, offset=0))


def _separator(buf: str, term: str) -> str:
    """The terminator, with the line break that follows it when every terminator in `buf` has one."""
    first = buf.find(term)
    if first >= 0:
        for brk in _LINE_BREAKS:
            if buf.startswith(brk, first + len(term)):
                return term + brk if buf.count(term + brk) == buf.count(term) else term
    return term


def _segments(
    env: Envelope, text: _Text, buf: str, base: int, delimiters: Delimiters, scan: bool
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
        sep = _separator(buf, term)
        step = len(sep)
        end = buf.rfind(sep)  # where the last whole segment ends (-1: there is none)
        done = end + step if end >= 0 else 0  # where the unterminated tail starts
        tail = buf[done:]
        if not eof and len(tail) > MAX_SEGMENT_CHARS:
            where = Location(file=env.file_name, offset=at, segment_position=env.position + 1)
            raise FormatError(f"no segment terminator {term!r} in {MAX_SEGMENT_CHARS} characters", where)
        i = done
        if end >= 0:
            i = (yield from cut.scan(env, buf, end, off, sep)) if scan and end > 0 else 0
        pieces = buf[i:end].split(sep) if i < done else []
        if pieces:
            starts = list(accumulate(map(add, map(len, pieces), repeat(step)), initial=off + i))
        else:
            starts = [off + done]
        off += done
        if eof:
            pieces.append(tail)
            starts.append(off + len(tail) + step)
        resumed = yield from cut.pieces(env, pieces, starts)
        if resumed is not None:
            q, start = resumed
            return sep.join([*pieces[q:], *([] if eof else [tail])]), start
        if eof:
            yield from env.finish()
            return None
        buf = tail


class _Cut:
    """Cuts text into segments for one interchange (its delimiters; those of an ISA read inline)."""

    def __init__(self, delimiters: Delimiters) -> None:
        self.term = delimiters.segment
        self.trail = "\r" if self.term == "\n" and "\r" not in _used(delimiters) else ""
        self._set(delimiters)

    def _set(self, delimiters: Delimiters) -> None:
        used = _used(delimiters)
        self.el = delimiters.element
        self.lead = "".join(c for c in " \t\r\n" if c not in used)
        self.marks = tuple(tag + self.el for tag in sorted(ENVELOPE_TAGS))  # how envelope segments start
        self._patterns: dict[str, re.Pattern[str]] = {}

    def _pattern(self, sep: str) -> re.Pattern[str]:
        """After a separator: an envelope segment (group `mark`), or what only the one-at-a-time way
        handles (group `odd`): an empty segment, a bare envelope tag, a blank to strip."""
        found = self._patterns.get(sep)
        if found is None:
            tags = "|".join(sorted(ENVELOPE_TAGS, key=lambda t: (-len(t), t)))
            s, el = re.escape(sep), re.escape(self.el)
            blank = f"|[{''.join(map(re.escape, self.lead))}]" if self.lead else ""
            # What can follow: the first letters of the tags, the separator's first character, a
            # blank, or the end. Checked first, it turns most segments away at their first character.
            heads = "".join(sorted({t[0] for t in ENVELOPE_TAGS} | {sep[0]} | set(self.lead)))
            first = f"(?=[{re.escape(heads)}]|\\Z)"
            found = re.compile(f"{s}{first}(?:(?P<mark>{tags}){el}|(?P<odd>(?:{tags})?(?={s}|\\Z){blank}))")
            self._patterns[sep] = found
        return found

    def scan(self, env: Envelope, buf: str, end: int, off: int, sep: str) -> Generator[X12Item, None, int]:
        """Fold the whole segments of `buf[:end]` (`sep` between them, the first at offset `off`) into
        `env`: one regular-expression pass finds the envelope segments, each of them is split and
        handed to `env`, and each run of set segments between them goes to the open set as one text,
        with no Python code per segment. Returns where the one-at-a-time way must go on: 0 when the
        text holds something only that way handles (an empty segment, a blank to strip, a bare
        envelope tag, a carriage return to drop), the start of an ISA or of segments outside a set,
        else `end + len(sep)` (everything was folded)."""
        step = len(sep)
        first = buf.find(sep, 0, end)
        first = end if first < 0 else first
        if first == 0 or buf[:1] in self.lead or (first <= 3 and buf[:first] in ENVELOPE_TAGS):
            return 0
        trail = self.trail
        if trail and (buf[end - 1] == trail or buf.find(trail + sep, 0, end) >= 0):
            return 0
        at = [0] if buf.startswith(self.marks, 0, end) else []
        for m in self._pattern(sep).finditer(buf, 0, end):
            if m.lastgroup != "mark":
                return 0
            at.append(m.start() + step)
        el = self.el
        a = 0  # where the segments not folded yet start
        for s in at:
            if s > a:  # set segments before this envelope segment
                body = env.body
                if body is None:
                    return a  # outside a set: the one-at-a-time way reports them
                body.append((buf[a : s - step], off + a, sep))
                env.body_size += buf.count(sep, a, s - step) + 1
            e = buf.find(sep, s, end)
            e = end if e < 0 else e
            piece = buf[s:e]
            if piece.startswith("ISA"):
                return s
            els = piece.split(el)
            if env.interchange is not None:  # `_control`'s common case, without a generator per segment
                yield from env.on_segment(els[0], els, off + s)
            else:
                yield from self._control(env, piece, els, off + s)
            a = e + step
        if a < end:
            body = env.body
            if body is None:
                return a
            body.append((buf[a:end], off + a, sep))
            env.body_size += buf.count(sep, a, end) + 1
        return end + step

    def pieces(
        self, env: Envelope, pieces: list[str], starts: list[int]
    ) -> Generator[X12Item, None, tuple[int, int] | None]:
        """Fold `pieces` (segment texts at `starts`) into `env` one at a time, stripping blanks and
        skipping empty ones; the index and offset of an ISA to reframe."""
        el = self.el
        for q in range(len(pieces)):
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
            body = env.body
            if body is not None and piece.partition(el)[0] not in ENVELOPE_TAGS:
                body.append((piece, start, ""))
                env.body_size += 1
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


def _used(delimiters: Delimiters) -> set[str | None]:
    return {delimiters.segment, delimiters.element, delimiters.component, delimiters.repetition}
