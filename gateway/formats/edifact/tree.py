"""An EDIFACT message as a tree of segment groups, for the tree map engine (`gateway.mapping.tree_engine`).

The root is named by the message type (`ORDRSP`). A segment that opens a segment group (its trigger,
`LIN` for the line group) owns the group's other segments and nested groups as children, so a map
reads `LIN/QTY[e1/c1=12]/e1/c2` for a line's despatched quantity or `CPS/PAC/PCI/GIN[e1=BJ]/e2/c1`
for a package's SSCC. Which segments open groups, under which parents, is `GROUPS` (the UNTDID
message structures of ORDRSP, DESADV, ORDERS and CONTRL, D96A through D01B, which agree on it for what
the maps read); a message type not listed is a flat list of segments under the root.

A segment's elements are children `e1`, `e2`, ... (1-based, as EDIFACT numbers them) whose text is
their first component, each with children `c1`, `c2`, ... for its components (a simple element has
`c1` alone). They are made when a map first looks at the segment: most segments are never looked at.
Texts are released (no release characters left).
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.formats.edifact.model import Message, Segment, ServiceChars, split_released, unescape
from gateway.formats.tree import Node

ROOT = ""
_ORDRSP_LINE = frozenset({ROOT, "LIN"})
# message type -> trigger segment -> the groups (by trigger; ROOT for the message) it may open a group in.
GROUPS: dict[str, dict[str, frozenset[str]]] = {
    "ORDRSP": {
        "LIN": frozenset({ROOT}),
        "RFF": frozenset({ROOT, "NAD", "LIN", "SCC"}),
        "NAD": _ORDRSP_LINE,
        "CUX": _ORDRSP_LINE,
        "PAT": _ORDRSP_LINE,
        "TDT": _ORDRSP_LINE,
        "TOD": _ORDRSP_LINE,
        "PAC": _ORDRSP_LINE,
        "ALC": _ORDRSP_LINE,
        "LOC": frozenset({"LIN"}),
        "TAX": _ORDRSP_LINE,
        "PRI": frozenset({"LIN"}),
        "SCC": frozenset({"LIN"}),
        "QTY": frozenset({"SCC"}),
    },
    "ORDERS": {
        "LIN": frozenset({ROOT}),
        "RFF": frozenset({ROOT, "NAD", "LIN"}),
        "NAD": _ORDRSP_LINE,
        "CUX": _ORDRSP_LINE,
        "PAT": _ORDRSP_LINE,
        "TDT": _ORDRSP_LINE,
        "TOD": _ORDRSP_LINE,
        "PAC": _ORDRSP_LINE,
        "ALC": _ORDRSP_LINE,
        "PRI": frozenset({"LIN"}),
        "SCC": frozenset({"LIN"}),
        "QTY": frozenset({"SCC"}),
    },
    "DESADV": {
        "RFF": frozenset({ROOT, "NAD", "LIN", "PCI"}),
        "NAD": frozenset({ROOT}),
        "TOD": frozenset({ROOT}),
        "TDT": frozenset({ROOT}),
        "EQD": frozenset({ROOT}),
        "CPS": frozenset({ROOT}),
        "PAC": frozenset({"CPS"}),
        "PCI": frozenset({"PAC", "LIN"}),
        "LIN": frozenset({ROOT, "CPS"}),
        "QVR": frozenset({"LIN"}),
    },
    "CONTRL": {
        "UCM": frozenset({ROOT, "UCF"}),
        "UCF": frozenset({ROOT}),
        "UCS": frozenset({ROOT, "UCM"}),
    },
}
# Segments that always sit at the message level (the section control and the trailer's neighbours).
TOP_LEVEL = frozenset({"UNS", "CNT", "UNT"})


_NO_TAGS: dict[str, list[SegmentNode]] = {}  # shared by the segments that own no group (never written)


class SegmentNode(Node):
    """A segment in the tree: its element and component children are made on first look."""

    __slots__ = ("_elements", "_parts", "by_tag", "chars", "expanded", "segment")

    def __init__(self, segment: Segment, chars: ServiceChars, parent: Node | None) -> None:
        self.name, self.path, self.text, self.children = segment.tag, "", "", []
        self.parent, self.line = parent, segment.position
        self.segment = segment
        self.chars = chars
        self.expanded = False
        self._parts: list[list[str]] | None = None
        self._elements: dict[int, Node] | None = None  # made on first look
        self.by_tag: dict[str, list[SegmentNode]] = _NO_TAGS  # the group's segments by tag

    def add(self, child: Node) -> Node:
        assert isinstance(child, SegmentNode)
        self.children.append(child)
        if self.by_tag is _NO_TAGS:
            self.by_tag = {}
        _index(self.by_tag, child)
        return child

    def named(self, name: str) -> Iterator[Node]:
        if not self.expanded:
            self.expand()
        return super().named(name)

    def parts(self) -> list[list[str]]:
        """Every element as its released components (cached)."""
        parts = self._parts
        if parts is None:
            chars = self.chars
            rel, comp = chars.release, chars.component
            elements = self.segment.elements
            if not any(rel in raw for raw in elements):
                parts = self._parts = [raw.split(comp) for raw in elements]
                return parts
            parts = self._parts = [
                raw.split(comp)
                if rel not in raw
                else [unescape(p, rel) for p in split_released(raw, comp, rel)]
                for raw in elements
            ]
        return parts

    def element(self, n: int) -> Node | None:
        """Element `n` (1-based) as a node with its component children; None when absent."""
        made = self._elements
        if made is None:
            made = self._elements = {}
        found = made.get(n)
        if found is None:
            parts = self.parts()
            if not 0 < n <= len(parts):
                return None
            comps = parts[n - 1]
            position = self.segment.position
            found = Node(f"e{n}", "", comps[0], [], self, position)
            found.children = [Node(f"c{i}", "", c, [], found, position) for i, c in enumerate(comps, 1)]
            made[n] = found
        return found

    def expand(self) -> None:
        """Put the element children in front of the group's segments (once)."""
        self.expanded = True
        elements = [self.element(n) for n in range(1, len(self.segment.elements) + 1)]
        self.children[:0] = [e for e in elements if e is not None]


class MessageNode(Node):
    """The message: the root of the tree, its top-level segments also indexed by tag."""

    __slots__ = ("by_tag",)

    def __init__(self, name: str) -> None:
        super().__init__(name, "")
        self.by_tag: dict[str, list[SegmentNode]] = {}

    def add(self, child: Node) -> Node:
        assert isinstance(child, SegmentNode)
        self.children.append(child)
        _index(self.by_tag, child)
        return child


def _index(by_tag: dict[str, list[SegmentNode]], child: SegmentNode) -> None:
    """Add `child` to its group's index by tag (not setdefault: it would make a list per child)."""
    found = by_tag.get(child.name)
    if found is None:
        by_tag[child.name] = [child]
    else:
        found.append(child)


def message_tree(message: Message) -> Node:
    """The message's segments (UNH and UNT left out) as a tree of segment groups."""
    root = MessageNode(message.id.type or "message")
    table = GROUPS.get(message.id.type, {})
    chars = message.chars
    tags = [ROOT]
    nodes: list[Node] = [root]
    for seg in message.segments:
        tag = seg.tag
        if tag == "UNH" or tag == "UNT":
            continue
        parents = table.get(tag)
        if parents is not None:
            for i in range(len(tags) - 1, -1, -1):
                if tags[i] in parents:
                    if i + 1 < len(tags):  # a slice deletion is a generic call even when empty
                        del tags[i + 1 :], nodes[i + 1 :]
                    node = SegmentNode(seg, chars, nodes[i])
                    nodes[i].add(node)
                    tags.append(tag)
                    nodes.append(node)
                    break
            else:
                top = nodes[-1]
                top.add(SegmentNode(seg, chars, top))
            continue
        if tag in TOP_LEVEL and len(tags) > 1:
            del tags[1:], nodes[1:]
        top = nodes[-1]
        top.add(SegmentNode(seg, chars, top))
    return root


def dismantle(root: Node) -> None:
    """Break the tree's parent links once it has been read, so that its nodes are freed as soon as
    the last reference goes: left as it is, every message's tree is a cycle that only the garbage
    collector frees, and its collections then cost more than a sixth of mapping a message."""
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        children = node.children
        if children:
            stack.extend(children)
            node.children = []
        node.parent = None
        if isinstance(node, SegmentNode):
            made = node._elements
            if made:  # element nodes point back at their segment, their components at them
                stack.extend(made.values())
            node._elements = None
            node.by_tag = _NO_TAGS
        elif isinstance(node, MessageNode):
            node.by_tag = {}


def segment_of(node: Node) -> tuple[SegmentNode | None, int | None, int | None]:
    """The segment a node belongs to, and the node's element and component numbers (when it is one)."""
    element = component = None
    current: Node | None = node
    while current is not None and not isinstance(current, SegmentNode):
        if current.name[:1] == "c" and current.name[1:].isdigit():
            component = int(current.name[1:])
        elif current.name[:1] == "e" and current.name[1:].isdigit():
            element = int(current.name[1:])
        current = current.parent
    return current, element, component
