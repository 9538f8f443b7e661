"""Tree paths over EDIFACT segment trees, evaluated on the segments' components directly.

The tree map engine's paths (`tree_spec.TreePath`) walk nodes step by step and test conditions by
walking again; on an EDIFACT message that means an element node and a node per component for every
segment a condition looks at. Most EDIFACT paths have one shape: segment steps (tags, `.`, `..`)
whose conditions test one element or component (`RFF[e1/c1=ON]`, `.[e2]`), then at most an element
step (`e3`, or `e3[c2=SA]`) and a component step (`c2`). `fast(path)` compiles such a path into an
`EdifactPath` that reads `SegmentNode.parts()` for the conditions and makes a node only for what it
returns (the same nodes the generic walk would give: `SegmentNode.element`). Other paths stay generic.

One difference, on purpose: a condition without values (`.[e2]`) holds when the element has a
non-empty component, where the generic walk counts an element with only empty components as present.
Measured on the bench interchange (bench/edifact_bench.py), this took map application from about
0.2 MB/s to the figures in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gateway.formats.edifact.tree import MessageNode, SegmentNode
from gateway.formats.tree import Node
from gateway.mapping.tree_engine import TField, TreeProgram, TScope
from gateway.mapping.tree_paths import Condition, Step, TreePath


@dataclass(frozen=True, slots=True)
class _Test:
    """A condition on a segment's element `element` (component `component`, 0: any)."""

    element: int
    component: int
    values: frozenset[str] | None

    def holds(self, parts: list[list[str]]) -> bool:
        if self.element > len(parts):
            return False
        comps = parts[self.element - 1]
        if self.component:
            if self.component > len(comps):
                return False
            value = comps[self.component - 1].strip()
            return bool(value) if self.values is None else value in self.values
        if self.values is None:
            return any(c.strip() for c in comps)
        return comps[0].strip() in self.values


def _number(name: str, prefix: str) -> int:
    """`e3` -> 3 for prefix "e"; 0 when `name` is not that shape."""
    if len(name) > 1 and name[0] == prefix and name[1:].isdigit():
        return int(name[1:])
    return 0


def _segment_test(cond: Condition) -> _Test | None:
    steps = cond.path.steps
    if cond.path.absolute or not 1 <= len(steps) <= 2 or any(s.conditions for s in steps):
        return None
    element = _number(steps[0].name, "e")
    component = _number(steps[1].name, "c") if len(steps) == 2 else 0
    if not element or (len(steps) == 2 and not component):
        return None
    return _Test(element, component, cond.values)


def _element_test(cond: Condition) -> int | None:
    """A condition on an element step (`e3[c2=SA]`): the component it tests, or None."""
    steps = cond.path.steps
    if cond.path.absolute or len(steps) != 1 or steps[0].conditions or cond.values is None:
        return None
    return _number(steps[0].name, "c") or None


@dataclass(frozen=True, slots=True)
class EdifactPath(TreePath):
    """A path of the fast shape (see the module docstring); selects what the generic walk would."""

    segments: tuple[tuple[str, tuple[_Test, ...]], ...] = ()
    element: int = 0
    element_tests: tuple[tuple[int, frozenset[str]], ...] = ()
    component: int = 0
    tag: str = ""  # the one tag step, when the segment steps are just that (`QTY[e1/c1=21]`)
    tag_tests: tuple[_Test, ...] = ()

    def select(self, node: Node) -> list[Node]:
        if not self.element:
            return list(self.segments_of(node))
        out: list[Node] = []
        c = self.component
        for _, seg, _, _ in self.raws(node):
            element = seg.element(self.element)
            assert element is not None
            out.append(element.children[c - 1] if c else element)
        return out

    def raws(self, node: Node) -> list[tuple[str, SegmentNode, int | None, int | None]]:
        """What `select` finds as (text without surrounding blanks, segment, element, component),
        without making the element and component nodes."""
        current = self.segments_of(node)
        e, c = self.element, self.component
        if not e:
            return [(n.value(), n, None, None) for n in current]
        out: list[tuple[str, SegmentNode, int | None, int | None]] = []
        for seg in current:
            comps = self.components(seg)
            if comps is None:
                continue
            if not c:
                out.append((comps[0].strip(), seg, e, None))
            elif c <= len(comps):
                out.append((comps[c - 1].strip(), seg, e, c))
        return out

    def components(self, seg: SegmentNode) -> list[str] | None:
        """The components of the path's element in `seg`, when it has it and its tests hold."""
        parts = seg.parts()
        e = self.element
        if e > len(parts):
            return None
        comps = parts[e - 1]
        for k, values in self.element_tests:
            if k > len(comps) or comps[k - 1].strip() not in values:
                return None
        return comps

    def segments_of(self, node: Node) -> list[SegmentNode]:
        """The segments the segment steps reach from `node` (a list the caller does not change)."""
        tag = self.tag
        if not tag:
            return self._segments(node)
        if isinstance(node, SegmentNode):  # noqa: SIM114 (one class at a time: native attribute reads)
            found = node.by_tag.get(tag)
        elif isinstance(node, MessageNode):
            found = node.by_tag.get(tag)
        else:
            return _NO_SEGMENTS
        if found is None:
            return _NO_SEGMENTS
        tests = self.tag_tests
        if not tests:
            return found
        if len(tests) == 1:
            test = tests[0]
            return [f for f in found if test.holds(f.parts())]
        return [f for f in found if all(t.holds(f.parts()) for t in tests)]

    def _segments(self, node: Node) -> list[SegmentNode]:
        current: list[Node] = [node]
        for name, tests in self.segments:
            found: list[Node]
            if name == ".":
                found = current
            elif name == "..":
                found = [n.parent for n in current if n.parent is not None]
                if len(found) > 1:
                    found = list({id(f): f for f in found}.values())
            elif len(current) == 1:
                by_tag = getattr(current[0], "by_tag", None)
                found = by_tag.get(name, _NONE) if by_tag is not None else _NONE
            else:
                found = []
                for n in current:
                    by_tag = getattr(n, "by_tag", None)
                    if by_tag is not None and name in by_tag:
                        found.extend(by_tag[name])
            if tests:
                if len(tests) == 1:
                    test = tests[0]
                    found = [f for f in found if isinstance(f, SegmentNode) and test.holds(f.parts())]
                else:
                    found = [
                        f
                        for f in found
                        if isinstance(f, SegmentNode) and all(t.holds(f.parts()) for t in tests)
                    ]
            current = found
            if not current:
                return []
        return [n for n in current if isinstance(n, SegmentNode)]


_NO_SEGMENTS: list[SegmentNode] = []
_NONE: list[Node] = []


def fast(path: TreePath) -> TreePath:
    """The fast form of `path` when it has the EDIFACT shape, else `path` itself."""
    if path.absolute or isinstance(path, EdifactPath):
        return path
    steps: list[Step] = list(path.steps)
    component = _number(steps[-1].name, "c") if steps else 0
    if component:
        if steps[-1].conditions:
            return path
        steps.pop()
    element = _number(steps[-1].name, "e") if steps else 0
    element_tests: list[tuple[int, frozenset[str]]] = []
    if element:
        for cond in steps[-1].conditions:
            c = _element_test(cond)
            if c is None or cond.values is None:
                return path
            element_tests.append((c, cond.values))
        steps.pop()
    elif component:
        return path  # a component step needs its element step
    segments: list[tuple[str, tuple[_Test, ...]]] = []
    for step in steps:
        if (
            step.name == "*"
            or step.name.startswith("@")
            or _number(step.name, "e")
            or _number(step.name, "c")
        ):
            return path
        tests = [_segment_test(c) for c in step.conditions]
        if any(t is None for t in tests):
            return path
        segments.append((step.name, tuple(t for t in tests if t is not None)))
    single = len(segments) == 1 and segments[0][0] not in (".", "..")
    return EdifactPath(
        path.text,
        path.steps,
        path.absolute,
        segments=tuple(segments),
        element=element,
        element_tests=tuple(element_tests),
        component=component,
        tag=segments[0][0] if single else "",
        tag_tests=segments[0][1] if single else (),
    )


def accelerate(program: TreeProgram) -> TreeProgram:
    """The program with every path that has the fast shape compiled to an `EdifactPath`."""
    return replace(program, each=fast(program.each), scope=_scope(program.scope))


def _field(f: TField) -> TField:
    picks = tuple(fast(p) for p in f.picks)
    return replace(f, picks=picks, fast=not f.by_name and all(isinstance(p, EdifactPath) for p in picks))


def _scope(scope: TScope) -> TScope:
    return TScope(
        fields=tuple(_field(f) for f in scope.fields),
        loops=tuple(replace(loop, each=fast(loop.each), scope=_scope(loop.scope)) for loop in scope.loops),
        names=scope.names,
    )
