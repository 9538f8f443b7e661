"""Streaming UN/EDIFACT reader (ISO 9735 syntax versions 1 to 4).

`read` turns bytes (or a binary stream) into `EdifactItem`s in file order, one message held at a time.

- Service characters come from the UNA (parsed with pydifact's `Characters`), or are the ISO 9735
  defaults when the file has none. Any characters are accepted as long as the four separators and the
  release character differ and are not letters or digits; a newline terminator (`UNA:+.? ` + line
  break) works too (a CR before it is dropped).
- The text is decoded in the repertoire the first UNB declares (S001 0001, `model.CHARSETS`), chunk by
  chunk with an incremental decoder; a file without UNB (bare messages) is read as latin-1.
- Segments are cut with C-level `str.split` on the terminator. A chunk with a release character in it
  is mended after the split: a piece ending in an odd run of release characters had its terminator
  released, and is joined to the next. Elements are split the same way (`model.split_released`) and
  kept with their release characters until a map asks for their components.
- Line breaks, blanks and tabs between segments are dropped (unless they are service characters).

pydifact's own tokenizer reads a character at a time in Python (about 1 MB/s on the bench file, and it
builds the whole interchange in memory); this one feeds the same segment model from `str.split`.
Only bytes that cannot be framed raise `FormatError`; envelope problems are `Issue`s (`envelope.py`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO, Final

from pydifact.control.characters import Characters
from pydifact.exceptions import ValidationError

from gateway.errors import FormatError
from gateway.formats.edifact.envelope import Envelope
from gateway.formats.edifact.model import (
    CHARSETS,
    DEFAULT_CHARSET,
    EdifactItem,
    Segment,
    ServiceChars,
    split_released,
)
from gateway.formats.issues import Location

CHUNK_SIZE = 1 << 20
MAX_SEGMENT_CHARS = 16 << 20  # an unterminated run this long means the terminator is wrong
_BOMS = {b"\xef\xbb\xbf": "utf-8"}
_PAD = " \t\r\n\x00\x1a"
_SYNTAX = re.compile(rb"UNB.(UNO[A-Z])", re.S)


def service_chars(una: str, *, file_name: str | None = None) -> ServiceChars:
    """The service characters a 9-character UNA declares; FormatError when they cannot work."""
    try:
        c = Characters.from_str(una)
    except ValidationError as exc:
        raise FormatError(f"UNA: {exc}", Location(file=file_name, offset=0, segment_tag="UNA")) from None
    chars = ServiceChars(
        component=c.component_separator,
        element=c.data_separator,
        decimal=c.decimal_point,
        release=c.escape_character,
        repetition=c.reserved_character,
        segment=c.segment_terminator,
    )
    separators = (chars.component, chars.element, chars.release, chars.segment)
    if len(set(separators)) < 4 or any(ch.isalnum() for ch in separators):
        raise FormatError(
            f"UNA {una[3:]!r}: the separators and the release character must differ and be neither "
            "letters nor digits",
            Location(file=file_name, offset=0, segment_tag="UNA"),
        )
    return chars


class _Source:
    """Bytes from a buffer or a stream, chunk by chunk."""

    def __init__(self, source: bytes | BinaryIO, chunk_size: int) -> None:
        self._bytes = bytes(source) if isinstance(source, bytes | bytearray | memoryview) else None
        self._stream = None if self._bytes is not None else source
        self._pos = 0
        self._chunk = chunk_size

    def read(self) -> bytes:
        if self._bytes is not None:
            data = self._bytes[self._pos : self._pos + self._chunk]
            self._pos += len(data)
            return data
        assert self._stream is not None
        data = self._stream.read(self._chunk)  # type: ignore[union-attr]
        if not isinstance(data, bytes | bytearray):
            raise FormatError("the EDIFACT source must be a binary stream")
        return bytes(data)


def read(
    source: bytes | BinaryIO,
    *,
    file_name: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    skip: Callable[[], bool] | None = None,
) -> Iterator[EdifactItem]:
    """Every item of the file in order. FormatError when the bytes cannot be framed: empty input,
    no UNA, UNB or UNH at the start, an unusable UNA, text that is not in the declared repertoire,
    or a segment that never ends.

    `skip`, when given, is asked at each UNH: when it answers True the message is framed only, for a
    caller that will not map it (the processes of `gateway translate` that share the reading of a
    file): its UNH and UNT are read and checked as ever, its other segments are counted but stand
    as one placeholder (no tag, no elements), and the checks of its segments (mandatory segments,
    BGM second) are not made. Every other item, and every later message, is the same either way.
    """
    raw = _Source(source, chunk_size)
    head = raw.read()
    while len(head) < 4096:
        more = raw.read()
        if not more:
            break
        head += more
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
    stripped = head.lstrip(_PAD.encode())
    base = len(head) - len(stripped)
    head = stripped
    if not head:
        raise FormatError("the input is empty", Location(file=file_name, offset=0))
    una = head[:3] == b"UNA"
    chars = service_chars(head[:9].decode("latin-1"), file_name=file_name) if una else ServiceChars()
    found = _SYNTAX.search(head[: 9 + 256])
    encoding = CHARSETS.get(found.group(1).decode(), DEFAULT_CHARSET) if found else DEFAULT_CHARSET
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    env = Envelope(file_name, chars, una)
    cut = _Cut(chars)
    consumed = 0  # bytes decoded so far (for the offset of a decoding error)

    def decode(data: bytes, final: bool) -> str:
        nonlocal consumed
        try:
            text = decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            at = consumed + exc.start
            raise FormatError(
                f"byte {at} is not {encoding} text, which the UNB syntax identifier declares",
                Location(file=file_name, offset=at),
            ) from None
        consumed += len(data)
        return text

    buf = decode(head[9:] if una else head, False)
    offset = base + (9 if una else 0)
    first = True
    light = False  # the open message is framed only (`skip`)
    while True:
        chunk = raw.read()
        final = not chunk
        buf += decode(chunk, final)
        pieces = cut.split(buf)
        buf = pieces.pop()
        if final:
            pieces.append(buf)  # a last segment without its terminator is read all the same
        elif len(buf) > MAX_SEGMENT_CHARS:
            raise FormatError(
                f"no segment terminator {chars.segment!r} in {MAX_SEGMENT_CHARS} characters",
                Location(file=file_name, offset=offset),
            )
        pad, el, rel = cut.pad, cut.el, cut.rel
        for piece in pieces:
            start = offset
            offset += len(piece) + 1
            body = env.body
            if light and body is not None and "UN" not in piece:
                # A segment of a message framed only, as below without stripping or splitting it:
                # no "UN" anywhere, so no service segment; blank (padding only) when it ends in padding
                # and strips to nothing.
                if piece and (piece[-1] not in pad or piece.strip(pad)):
                    body.append(_FRAMED)
                continue
            if pad and piece and (piece[0] in pad or piece[-1] in pad):
                piece = piece.strip(pad)
            if not piece:
                continue
            if light and body is not None and (not piece.startswith("UN") or piece[:3] not in _STOPS):
                body.append(_FRAMED)  # a service segment (and a UNS) is read as ever below
                continue
            els = piece.split(el) if rel not in piece else split_released(piece, el, rel)
            tag = els[0]
            if body is not None and tag not in _STOPS:
                # tuple.__new__ directly: a NamedTuple's own constructor costs about twice as much
                body.append(_new(Segment, (tag, tuple(els[1:]), len(body) + 2, start)))
                continue
            if first:
                first = False
                if tag not in ("UNB", "UNH"):
                    raise FormatError(
                        f"an EDIFACT file starts with UNA, UNB or UNH, not {tag[:3]!r}",
                        Location(file=file_name, offset=start, segment_position=1, segment_tag=tag[:3]),
                    )
            if tag == "UNA":
                if service_chars(piece[:9].ljust(8) + chars.segment, file_name=file_name) != chars:
                    raise FormatError(
                        "a later UNA declares other service characters than the first",
                        Location(file=file_name, offset=start, segment_tag="UNA"),
                    )
                continue
            yield from env.segment(tag, els, start)
            if tag == "UNH":  # asked once the message a missing UNT leaves open is taken
                light = env.framed = skip is not None and skip()
        if final:
            break
    if first:
        raise FormatError("the input holds no segment", Location(file=file_name, offset=0))
    yield from env.finish()


_new: Final = tuple.__new__
_FRAMED: Final = Segment("", (), 0, 0)  # every segment of a message framed only (`skip`)
_STOPS: Final = frozenset({"UNH", "UNT", "UNG", "UNE", "UNB", "UNZ", "UNA"})


class _Cut:
    """Splits decoded text into segments and elements for one set of service characters."""

    def __init__(self, chars: ServiceChars) -> None:
        self.term = chars.segment
        self.el = chars.element
        self.rel = chars.release
        used = {chars.component, chars.element, chars.release, chars.segment, chars.repetition}
        self.pad = "".join(c for c in _PAD if c not in used)

    def split(self, buf: str) -> list[str]:
        """`buf` cut on unreleased terminators (the last piece is the unterminated rest)."""
        pieces = buf.split(self.term)
        rel = self.rel
        if rel + self.term not in buf:  # no terminator is released: nothing to mend
            return pieces
        out: list[str] = []
        carry = ""
        for piece in pieces:
            if carry:
                piece = carry + piece
                carry = ""
            if piece.endswith(rel) and (len(piece) - len(piece.rstrip(rel))) % 2 == 1:
                carry = piece + self.term
                continue
            out.append(piece)
        if carry:
            out.append(carry[: -len(self.term)])
        return out
