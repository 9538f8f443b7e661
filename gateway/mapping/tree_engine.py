"""Extract `Record` trees from tree documents (cXML, JSON) with a compiled tree map.

The records have the shape the X12 engine gives (`values` by field name, `loops` by loop name), so
the target builders read either. Each loop record's `start` is the node it iterates, and every
issue carries the path of the node it is about (`Location.path`).

Pure: a compiled map and a node in, records and issues out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.formats.tree import Node
from gateway.formats.x12.model import Segment
from gateway.mapping.conversions import Anchor, Converter, Dates, converter
from gateway.mapping.engine import Record
from gateway.mapping.tree_paths import Condition, TreePath, parse_condition, parse_path
from gateway.mapping.tree_spec import DocumentSpec, TreeFieldSpec, TreeLoopSpec


@dataclass(frozen=True, slots=True)
class TField:
    name: str
    picks: tuple[TreePath, ...]
    required: bool
    many: bool
    by_name: bool  # `take: name`
    severity: Severity
    convert: Converter | None
    default: str | None = None
    fast: bool = False  # every pick is read without the generic walk (`edifact_paths.EdifactPath`)


@dataclass(frozen=True, slots=True)
class TScope:
    fields: tuple[TField, ...]
    loops: tuple[TLoop, ...]
    names: dict[str, int]  # the slot of each field in the scope's records (`engine.Record`)


@dataclass(frozen=True, slots=True)
class TLoop:
    name: str
    each: TreePath
    scope: TScope


@dataclass(frozen=True, slots=True)
class TreeProgram:
    """One kind of document, compiled: where its documents are, when it applies, what it reads."""

    target: str
    each: TreePath
    when: Condition | None
    scope: TScope

    def applies(self, root: Node) -> bool:
        return self.when is None or self.when.holds(root)

    def documents(self, root: Node) -> list[Node]:
        return self.each.select(root)


def compile_document(spec: DocumentSpec, dates: Dates = "iso") -> TreeProgram:
    """`dates` says how the documents write dates and numbers: ISO 8601 (cXML, JSON) or EDIFACT's."""
    return TreeProgram(
        target=spec.target,
        each=parse_path(spec.each),
        when=parse_condition(spec.when) if spec.when is not None else None,
        scope=_scope(spec.fields, spec.loops, spec.code_tables, dates),
    )


def _field(name: str, f: TreeFieldSpec, tables: Mapping[str, Mapping[str, str]], dates: Dates) -> TField:
    severity = Severity(f.severity) if f.severity else (Severity.ERROR if f.required else Severity.WARNING)
    table = tables[f.code] if f.code else None
    return TField(
        name=name,
        picks=tuple(parse_path(p) for p in f.picks),
        required=f.required,
        many=f.many,
        by_name=f.take == "name",
        severity=severity,
        convert=None if f.many else converter(name, f.conversion, severity, table, f.code, dates=dates),
        default=f.default,
    )


def _scope(
    fields: Mapping[str, TreeFieldSpec],
    loops: Mapping[str, TreeLoopSpec],
    tables: Mapping[str, Mapping[str, str]],
    dates: Dates,
) -> TScope:
    return TScope(
        fields=tuple(_field(n, f, tables, dates) for n, f in fields.items()),
        loops=tuple(
            TLoop(name, parse_path(loop.each), _scope(loop.fields, loop.loops, tables, dates))
            for name, loop in loops.items()
        ),
        names={name: i for i, name in enumerate(fields)},
    )


class TreeRun:
    """One run of a compiled map over one document; collects issues as it goes. `where` holds what
    every issue's location shares (file, payloadID or webhook id, document)."""

    def __init__(self, where: Location) -> None:
        self.where = where
        self.issues: list[Issue] = []

    def issue(
        self,
        code: IssueCode,
        severity: Severity,
        seg: Anchor | None,
        message: str,
        *,
        element: int | None = None,
        tag: str | None = None,
        bad_value: str | None = None,
    ) -> None:
        w = self.where
        loc = Location(
            file=w.file,
            interchange=w.interchange,
            transaction=w.transaction,
            segment_tag=tag if isinstance(seg, Segment) else None,
            path=seg.path if isinstance(seg, Node) else w.path,
        )
        self.issues.append(Issue(code, severity, loc, message, bad_value))

    def label(self, seg: Anchor, element: int) -> str:
        return seg.path if isinstance(seg, Node) else f"{seg.tag}{element:02d}"

    def run(self, program: TreeProgram, document: Node) -> Record:
        rec = Record(document, program.scope.names)
        self._fill(program.scope, document, rec)
        return rec

    def _fill(self, scope: TScope, node: Node, rec: Record) -> None:
        for f in scope.fields:
            self._value(f, node, rec)
        for loop in scope.loops:
            children = rec.loops.setdefault(loop.name, [])
            for found in loop.each.select(node):
                child = Record(found, loop.scope.names)
                children.append(child)
                self._fill(loop.scope, found, child)

    def found(self, pick: TreePath, node: Node, by_name: bool) -> Iterator[tuple[str, Anchor, int]]:
        """Each value `pick` finds from `node`: its text, where it is, its element (0 in trees)."""
        for found in pick.select(node):
            yield _raw(found, by_name), found, 0

    def first(self, f: TField, node: Node, rec: Record) -> tuple[Anchor | None, bool] | None:
        """Store the first value of a single-valued field that its picks find and converts; None when
        stored, else the first empty value's place (or None) and whether a converter rejected one."""
        empty: Anchor | None = None
        rejected = False
        for pick in f.picks:
            for raw, found, element in self.found(pick, node, f.by_name):
                if not raw:
                    empty = empty or found
                    continue
                value = raw if f.convert is None else f.convert(self, raw, found, element)
                if value is None:  # rejected, and reported by the converter
                    rejected = True
                    continue
                rec.put(f.name, value)
                return None
        return empty, rejected

    def _value(self, f: TField, node: Node, rec: Record) -> None:
        empty: Anchor | None = None
        rejected = False
        if f.many:
            texts = [v for pick in f.picks for n in pick.select(node) if (v := _raw(n, f.by_name))]
            if texts:
                rec.put(f.name, texts)
                return
        else:
            missed = self.first(f, node, rec)
            if missed is None:
                return
            empty, rejected = missed
        if f.default is not None and not rejected:
            value = f.default if f.convert is None else f.convert(self, f.default, node, 0)
            if value is not None:
                rec.put(f.name, value)
        if not f.required or rejected:
            return
        if empty is not None:
            self.issue(IssueCode.MISSING_VALUE, Severity.ERROR, empty, f"{f.name} is required but empty")
            return
        paths = " or ".join(p.text for p in f.picks)
        self.issue(
            IssueCode.MISSING_VALUE, Severity.ERROR, node, f"{f.name} is required; {paths} finds nothing"
        )


def _raw(node: Node, by_name: bool) -> str:
    return node.name.removeprefix("@") if by_name else node.value()
