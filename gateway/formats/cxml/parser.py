"""The hardened XML parser: the only place lxml reads bytes (ruff bans `etree.fromstring` and
`etree.XMLParser` everywhere else).

What it refuses, with a typed `FormatError`, before anything is expanded or fetched:

- documents over `max_bytes` (`DocumentTooLargeError`);
- a DOCTYPE with an internal subset (`<!DOCTYPE x [ ... ]>`), which is where entity declarations
  live: billion-laughs amplification and external entities (`SYSTEM "file:..."`, `"http:..."`)
  alike (`HostileXmlError`). The prolog is scanned before libxml2 sees the bytes, because libxml2
  expands internal entities inside attribute values even with entity resolution off;
- any entity reference that survives parsing, and any DTD libxml2 reports (belt and braces).

What it allows: a DOCTYPE that only names an external DTD (`<!DOCTYPE cXML SYSTEM
"http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd">`, as every cXML document does). The DTD is
never loaded (no DTD loading, no network, no attribute defaults, no validation); its URL is kept
because the cXML version is read from it when the root does not say.

Libxml2's own limits stay on (`huge_tree=False`: depth and text-node size), and the tree handed on
is a `formats.tree.Node` tree bounded by `tree.MAX_DEPTH` and `tree.MAX_NODES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from gateway.errors import FormatError
from gateway.formats.issues import Location
from gateway.formats.tree import MAX_DEPTH, MAX_NODES, Node, TreeLimitError

MAX_BYTES = 10 * 1024 * 1024
_PROLOG_SCAN = 64 * 1024  # a prolog longer than this is left to libxml2 (which then sees no DTD)
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_UTF_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_UNMARKED = ((b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00", "utf-16-le"))
_UNMARKED_BE = ((b"\x00<", "utf-16-be"),)


class HostileXmlError(FormatError):
    """XML the gateway refuses to read: entity declarations, internal DTD subsets."""

    type = "/problems/hostile-xml"
    title = "Unsafe XML refused"


class DocumentTooLargeError(FormatError):
    type = "/problems/document-too-large"
    title = "Document too large"


@dataclass(frozen=True, slots=True)
class XmlDocument:
    """A parsed document: its tree, and what its DOCTYPE declared (never loaded)."""

    root: Node
    doctype: str | None  # the root name the DOCTYPE declares
    system_url: str | None  # the external DTD it names


def _parser() -> etree.XMLParser:
    # collect_ids stays on: with it off, libxml2 2.1x tries to load the external DTD (and fails on
    # no_network) for documents that merely name one.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(data: bytes, *, file_name: str | None = None, max_bytes: int = MAX_BYTES) -> XmlDocument:
    """Parse XML bytes safely (see the module docstring). Raises `FormatError` (or one of its
    subclasses above) naming the file and, where known, the line."""
    if len(data) > max_bytes:
        raise DocumentTooLargeError(
            f"the document is {len(data)} bytes; at most {max_bytes} are read", Location(file=file_name)
        )
    _check_prolog(data, file_name)
    try:
        element = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0]
        where = f" (line {line})" if line > 0 else ""
        raise FormatError(f"not well-formed XML{where}: {exc.msg}", Location(file=file_name)) from None
    except ValueError as exc:  # lxml refuses some inputs outright (e.g. unicode with an encoding)
        raise FormatError(f"not XML: {exc}", Location(file=file_name)) from None
    info = element.getroottree().docinfo
    declared = info.internalDTD  # a DOCTYPE naming only an external DTD has one too, but empty
    if declared is not None and (
        any(True for _ in declared.entities()) or any(True for _ in declared.iterelements())
    ):
        raise HostileXmlError("the document declares a DTD internal subset", Location(file=file_name))
    root = _convert(element, file_name)
    return XmlDocument(
        root=root, doctype=info.root_name if info.doctype else None, system_url=info.system_url
    )


def _prolog_text(data: bytes) -> str | None:
    """The start of the document as text, enough to scan its prolog; None when the bytes are in no
    encoding we can scan (then they are not XML the gateway reads)."""
    head = data[:_PROLOG_SCAN]
    for bom, encoding in _UTF_BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    for mark, encoding in _UNMARKED + _UNMARKED_BE:
        if head.startswith(mark):
            return head.decode(encoding, errors="replace")
    head = head.removeprefix(b"\xef\xbb\xbf")
    stripped = head.lstrip(b" \t\r\n")
    if stripped and not stripped.startswith(b"<"):
        return None
    return head.decode("latin-1")  # every ASCII-compatible encoding agrees on the prolog's characters


def _check_prolog(data: bytes, file_name: str | None) -> None:
    """Refuse an internal DTD subset before libxml2 parses (and expands) it."""
    text = _prolog_text(data)
    where = Location(file=file_name)
    if text is None:
        raise FormatError("not XML: the document does not start with '<'", where)
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t\r\n":
            i += 1
        elif text.startswith("<?", i):
            end = text.find("?>", i + 2)
            if end < 0:
                return
            i = end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                return
            i = end + 3
        elif text.startswith("<!DOCTYPE", i):
            _check_doctype(text, i + 9, where)
            return
        elif text.startswith("<!", i):
            raise HostileXmlError(f"markup declaration {text[i : i + 12]!r} outside a DOCTYPE", where)
        else:
            return  # the root element starts: no DOCTYPE
    return


def _check_doctype(text: str, i: int, where: Location) -> None:
    quote = ""
    for ch in text[i:]:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            raise HostileXmlError(
                "the DOCTYPE has an internal subset (entity declarations are not accepted)", where
            )
        elif ch == ">":
            return


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _attribute_name(key: str) -> str:
    if key.startswith(_XML_NS):
        return "@xml:" + key[len(_XML_NS) :]
    return "@" + _local(key)


def _convert(root: etree._Element, file_name: str | None) -> Node:
    """The element tree as `Node`s, refusing entity references and bounding depth and size."""
    budget = MAX_NODES
    top = Node(_local(str(root.tag)), "/" + _local(str(root.tag)), line=root.sourceline)
    stack: list[tuple[etree._Element, Node, int]] = [(root, top, 1)]
    while stack:
        element, node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise TreeLimitError(
                f"nested deeper than {MAX_DEPTH} levels", Location(file=file_name, path=node.path)
            )
        for key, value in element.attrib.items():
            name = _attribute_name(str(key))
            node.add(Node(name, f"{node.path}/{name}", text=str(value), line=element.sourceline))
        texts = [element.text or ""]
        elements: list[etree._Element] = []
        for child in element:
            if isinstance(child, etree._Entity):
                raise HostileXmlError(
                    f"entity reference {child.text or '&?;'} is not accepted",
                    Location(file=file_name, path=node.path),
                )
            if isinstance(child.tag, str):
                elements.append(child)
            texts.append(child.tail or "")
        node.text = "".join(texts)
        budget -= len(elements) + len(element.attrib)
        if budget < 0:
            raise TreeLimitError(f"more than {MAX_NODES} nodes", Location(file=file_name, path=node.path))
        counts: dict[str, int] = {}
        for child in elements:
            name = _local(str(child.tag))
            counts[name] = counts.get(name, 0) + 1
        seen: dict[str, int] = {}
        made: list[tuple[etree._Element, Node, int]] = []
        for child in elements:
            name = _local(str(child.tag))
            seen[name] = seen.get(name, 0) + 1
            step = f"{name}[{seen[name]}]" if counts[name] > 1 else name
            made.append(
                (child, node.add(Node(name, f"{node.path}/{step}", line=child.sourceline)), depth + 1)
            )
        stack.extend(reversed(made))
    return top
