"""Paths over tree documents (`gateway.formats.tree.Node`): the path syntax of the tree map language
(see `gateway.mapping.tree_spec` for the whole language), parsed into `TreePath`s that select nodes.

Kept apart from the pydantic models of the map files so that the compiled build (`gateway.native`)
can take in the paths and the engines that walk them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.formats.tree import DOCUMENT, Node

_NAME = r"\*|\.\.|\.|@?[A-Za-z_][\w.:-]*"
_STEP = re.compile(rf"^(?P<name>{_NAME})(?P<conds>(?:\[[^\[\]]*\])*)$")
_CONDITION = re.compile(r"^(?P<path>[^=]+?)\s*(?:=\s*(?P<values>.+))?$")


@dataclass(frozen=True, slots=True)
class Condition:
    """`path` has a value: one of `values`, or (without values) any text or any content at all."""

    path: TreePath
    values: frozenset[str] | None = None

    def holds(self, node: Node) -> bool:
        for found in self.path.select(node):
            value = found.value()
            if self.values is None:
                if value or found.children:
                    return True
            elif value in self.values:
                return True
        return False


@dataclass(frozen=True, slots=True)
class Step:
    name: str  # a child name (`@x` for attributes), `*`, `..` or `.`
    conditions: tuple[Condition, ...] = ()

    def apply(self, node: Node) -> list[Node]:
        if self.name == ".":
            found = [node]
        elif self.name == "..":
            found = [node.parent] if node.parent is not None else []
        else:
            found = list(node.named(self.name))
        if self.conditions:
            found = [n for n in found if all(c.holds(n) for c in self.conditions)]
        return found


@dataclass(frozen=True, slots=True)
class TreePath:
    text: str
    steps: tuple[Step, ...]
    absolute: bool = False

    def select(self, node: Node) -> list[Node]:
        """Every node the path reaches from `node`, in document order."""
        current = [_root(node)] if self.absolute else [node]
        steps = self.steps
        if self.absolute and steps and current[0].name != DOCUMENT:
            # An XML root is the document element, which the first step names (`/cXML/...`); a JSON
            # root is the document itself, whose members the first step names (`/data/...`).
            first = steps[0]
            current = [
                n
                for n in current
                if first.name in ("*", n.name) and all(c.holds(n) for c in first.conditions)
            ]
            steps = steps[1:]
        for step in steps:
            seen: set[int] = set()
            following: list[Node] = []
            for n in current:
                for found in step.apply(n):
                    if id(found) not in seen:
                        seen.add(id(found))
                        following.append(found)
            current = following
            if not current:
                break
        return current


def _root(node: Node) -> Node:
    while node.parent is not None:
        node = node.parent
    return node


def parse_path(text: str) -> TreePath:
    """Parse the path syntax of the module docstring; ValueError names what is wrong."""
    raw = text.strip()
    if not raw:
        raise ValueError("a path is not empty")
    absolute = raw.startswith("/")
    body = raw[1:] if absolute else raw
    parts = _split(body, text)
    steps = []
    for part in parts:
        m = _STEP.match(part.strip())
        if m is None:
            raise ValueError(f"path {text!r}: {part!r} is not a name, '*', '.' or '..' with [conditions]")
        conditions: list[Condition] = []
        for inner in re.findall(r"\[([^\[\]]*)\]", m["conds"]):
            for clause in re.split(r"\s+and\s+", inner.strip()):
                conditions.append(_condition(clause, text))
        steps.append(Step(m["name"], tuple(conditions)))
    for step in steps[:-1]:
        if step.name.startswith("@"):
            raise ValueError(f"path {text!r}: an attribute ({step.name}) can only be the last step")
    return TreePath(raw, tuple(steps), absolute)


def parse_condition(text: str) -> Condition:
    """A `when:` test: `path` (it has a value) or `path=A|B`."""
    return _condition(text, text)


def _condition(clause: str, text: str) -> Condition:
    m = _CONDITION.match(clause.strip())
    if m is None or not m["path"].strip():
        raise ValueError(f"path {text!r}: condition {clause!r} must read 'path' or 'path=A|B'")
    inner = parse_path(m["path"].strip())
    if inner.absolute:
        raise ValueError(f"path {text!r}: a condition's path is relative")
    values = None
    if m["values"] is not None:
        values = frozenset(v.strip() for v in m["values"].split("|") if v.strip())
        if not values:
            raise ValueError(f"path {text!r}: condition {clause!r} names no value")
    return Condition(inner, values)


def _split(body: str, text: str) -> list[str]:
    """`a/b[c/d=x]/e` -> ["a", "b[c/d=x]", "e"]: slashes inside brackets belong to conditions."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise ValueError(f"path {text!r}: ']' without '['")
        elif ch == "/" and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    if depth:
        raise ValueError(f"path {text!r}: '[' without ']'")
    parts.append(body[start:])
    if any(not p.strip() for p in parts):
        raise ValueError(f"path {text!r} has an empty step")
    return parts
