"""Tree documents as one model: what cXML (XML) and JSON documents become before they are mapped.

A `Node` has a name, its own text and its children in document order. XML elements keep their
local name; their attributes are children named `@name` (listed first, in document order) with
the attribute value as text; `xml:lang` keeps its prefix. A JSON object's members are children
named by their key; an array is flattened into repeated children of the array's name (so
`{"lines": [a, b]}` has two children named `lines`, as two `<lines>` elements would); scalars are
text (numbers exactly as written, `true`/`false`), and `null` members are left out as absent.
Elements of a top-level array are children named `item`.

Every node knows its `path` in the notation of its format, which is what issue locations carry:
XPath steps for XML (`/cXML/Request/ConfirmationRequest/ConfirmationItem[2]/@quantity`, an index
only where a name repeats among siblings) and JSON Pointer for JSON (`/data/lines/0/quantity`).

`from_json` bounds what it builds (`MAX_DEPTH`, `MAX_NODES`) and raises `FormatError` past it.
Dates and times in tree documents are ISO 8601 (`parse_iso_date`, `parse_iso_datetime`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from gateway.errors import FormatError
from gateway.formats.issues import Location

DOCUMENT = "$"  # the name of a JSON document's root node (XML roots are named by their element)
MAX_DEPTH = 64  # nesting levels accepted in a tree document
MAX_NODES = 1_000_000  # nodes (members, elements, attributes) accepted in one document


@dataclass(slots=True, eq=False)
class Node:
    """One element, attribute or JSON member."""

    name: str
    path: str
    text: str = ""
    children: list[Node] = field(default_factory=list)
    parent: Node | None = field(default=None, repr=False)
    line: int | None = None  # the source line (XML), when known

    @property
    def is_attribute(self) -> bool:
        return self.name.startswith("@")

    def named(self, name: str) -> Iterator[Node]:
        """The children called `name` (`*`: every child element or member, attributes excluded)."""
        if name == "*":
            return (c for c in self.children if not c.is_attribute)
        return (c for c in self.children if c.name == name)

    def first(self, name: str) -> Node | None:
        return next(self.named(name), None)

    def value(self) -> str:
        """The node's own text without surrounding blanks."""
        return self.text.strip()

    def add(self, child: Node) -> Node:
        child.parent = self
        self.children.append(child)
        return child


class TreeLimitError(FormatError):
    """A tree document nests deeper or holds more nodes than the gateway accepts."""

    type = "/problems/document-too-complex"
    title = "Document too deeply nested or too large"


class _Budget:
    def __init__(self, file: str | None) -> None:
        self.left = MAX_NODES
        self.file = file

    def spend(self, path: str, depth: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise TreeLimitError(f"more than {MAX_NODES} nodes", Location(file=self.file, path=path))
        if depth > MAX_DEPTH:
            raise TreeLimitError(
                f"nested deeper than {MAX_DEPTH} levels", Location(file=self.file, path=path)
            )


def _pointer_part(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def parse_json(data: bytes, *, file_name: str | None = None) -> Any:
    """JSON text (UTF-8, a BOM allowed) as Python values, numbers kept as their text; FormatError when
    it is not JSON."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"JSON must be UTF-8: byte {exc.start} is not", Location(file=file_name, offset=exc.start)
        ) from None
    try:
        return json.loads(text, parse_float=str, parse_int=str, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        where = Location(file=file_name, offset=exc.pos)
        raise FormatError(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", where) from None
    except RecursionError:
        raise TreeLimitError("JSON nested too deeply to read", Location(file=file_name)) from None
    except ValueError as exc:  # a NaN or Infinity constant
        raise FormatError(f"not JSON: {exc}", Location(file=file_name)) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def from_json(value: Any, *, file_name: str | None = None) -> Node:
    """The tree of a parsed JSON value (see the module docstring); the root is named `DOCUMENT`."""
    root = Node(DOCUMENT, "")
    budget = _Budget(file_name)
    if isinstance(value, list):
        for i, item in enumerate(value):
            _json_member(root, "item", f"/{i}", item, budget, 1)
    elif isinstance(value, dict):
        _json_object(root, value, budget, 1)
    else:
        root.text = _scalar(value)
    return root


def _json_object(parent: Node, obj: dict[str, Any], budget: _Budget, depth: int) -> None:
    for key, item in obj.items():
        _json_member(parent, str(key), f"{parent.path}/{_pointer_part(str(key))}", item, budget, depth)


def _json_member(parent: Node, name: str, path: str, value: Any, budget: _Budget, depth: int) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _json_member(parent, name, f"{path}/{i}", item, budget, depth + 1)
        return
    budget.spend(path, depth)
    node = parent.add(Node(name, path))
    if isinstance(value, dict):
        _json_object(node, value, budget, depth + 1)
    else:
        node.text = _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def walk(node: Node) -> Iterator[Node]:
    """The node and every node below it, in document order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def parse_iso_datetime(text: str) -> datetime | None:
    """An ISO 8601 date-time (`2012-09-04T02:37:49-05:00`, `...Z`, or a bare date as midnight) as an
    aware datetime in UTC; one without an offset is read as UTC. None when unreadable."""
    value = text.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_iso_date(text: str) -> date | None:
    """The calendar date of an ISO 8601 date or date-time, as written (at the writer's own offset:
    `2012-09-05T23:00:00-05:00` is 2012-09-05). None when unreadable."""
    value = text.strip()
    if not value:
        return None
    try:
        return (
            datetime.fromisoformat(value).date()
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    except ValueError:
        return None
