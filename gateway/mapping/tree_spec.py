"""The map language for tree documents (cXML and JSON): one path syntax, loops over repeated nodes,
code tables and conversions, as pydantic models of the `edi_maps/cxml/**` and `edi_maps/json/**`
YAML files.

A *path* picks nodes from a context node (see `gateway.formats.tree` for what the nodes are):

    OrderReference/@orderID                 a child element, then its attribute
    ConfirmationStatus/UnitPrice/Money      an element's own text
    Extrinsic[@name=SupplierPartID]         only children whose condition holds
    CarrierIdentifier[@domain=SCAC|scac]    several accepted values
    lines[status]                           children that have a (non-empty) `status`
    ../@deliveryDate                        the parent's attribute; `.` is the node itself
    /cXML/@timestamp                        from the document root
    *                                       any child element or member

A field lists one or more paths in priority order: the first path that yields a non-empty value
wins (`many: true` collects every value of every path; `default:` gives the text used when none
does). `as:` converts (str, decimal, int, date,
datetime; dates are ISO 8601), `code:` looks the value up in a code table, `take: name` yields
the matched node's name instead of its text (which attribute was present, say), and `required`
makes a missing value an error. A loop names its nodes with `each` and holds fields and loops.

A cXML map covers one request type and version family (`doctype: ConfirmationRequest`,
`versions: ["1.2"]`), its paths relative to the request element. A JSON map (a portal's or a
partner API's) holds several `kinds` of document, each chosen by a `when` condition on the payload
(or by name, as the REST poller does), with `each` naming where its documents sit in the payload.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.mapping.tree_paths import parse_condition, parse_path

Conversion = Literal["str", "decimal", "int", "date", "datetime"]
TreeTarget = Literal["commitment", "shipment"]


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class TreeFieldSpec(Spec):
    """One value to extract. A bare string (or list of strings) in YAML is shorthand for
    `{from: <paths>}`."""

    picks: tuple[str, ...] = Field(alias="from", min_length=1)
    conversion: Conversion = Field(default="str", alias="as")
    code: str | None = None
    required: bool = False
    many: bool = False
    take: Literal["text", "name"] = "text"
    severity: Literal["error", "warning"] | None = None
    default: str | None = None  # the text used when no path finds a value (EDIFACT's implied units)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"from": [data]}
        if isinstance(data, list):
            return {"from": data}
        if isinstance(data, dict) and isinstance(data.get("from"), str):
            return {**data, "from": [data["from"]]}
        return data

    @field_validator("picks")
    @classmethod
    def _parse(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for text in v:
            parse_path(text)
        return v

    @model_validator(mode="after")
    def _coherent(self) -> TreeFieldSpec:
        if self.code is not None and self.conversion != "str":
            raise ValueError("a field with a code table converts with the table, not `as`")
        if self.many and (self.code is not None or self.conversion != "str"):
            raise ValueError("a `many` field collects texts: no `as` and no code table")
        if self.default is not None and (self.many or self.required):
            raise ValueError("a field with a default is neither `many` nor `required`")
        return self


class TreeLoopSpec(Spec):
    each: str
    fields: dict[str, TreeFieldSpec] = {}
    loops: dict[str, TreeLoopSpec] = {}

    @field_validator("each")
    @classmethod
    def _path(cls, v: str) -> str:
        parse_path(v)
        return v


class DocumentSpec(Spec):
    """One kind of document: where it sits, what it becomes, and how its values are found."""

    target: TreeTarget
    description: str = ""
    when: str | None = None  # a condition on the payload root that picks this kind
    each: str = "."  # every node this path selects from the root is one document
    code_tables: dict[str, dict[str, str]] = {}
    fields: dict[str, TreeFieldSpec] = {}
    loops: dict[str, TreeLoopSpec] = {}

    @field_validator("each")
    @classmethod
    def _each(cls, v: str) -> str:
        parse_path(v)
        return v

    @field_validator("when")
    @classmethod
    def _when(cls, v: str | None) -> str | None:
        if v is not None:
            parse_condition(v)
        return v

    @model_validator(mode="after")
    def _tables_exist(self) -> DocumentSpec:
        for where, name, field in walk_fields(self.fields, self.loops):
            if field.code is not None and field.code not in self.code_tables:
                raise ValueError(f"field {where}{name} uses code table {field.code!r}, which the map lacks")
        return self


class CxmlMapSpec(DocumentSpec):
    """A cXML request map, `edi_maps/cxml/<doctype>/<family>.yaml`."""

    format: Literal["cxml"]
    doctype: str = Field(pattern=r"^[A-Z][A-Za-z]+$")
    versions: tuple[str, ...] = Field(min_length=1)  # version families: "1.2" covers 1.2.0xx
    extends: str | None = None


class JsonMapSpec(Spec):
    """A JSON map (a portal's webhooks, a partner API's pages), `edi_maps/json/<kind>/<name>.yaml`."""

    format: Literal["json"]
    description: str = ""
    account: str | None = None  # where a portal payload names the partner's account
    code_tables: dict[str, dict[str, str]] = {}  # shared by the kinds (a kind's own table wins)
    kinds: dict[str, DocumentSpec] = Field(min_length=1)

    @field_validator("account")
    @classmethod
    def _account(cls, v: str | None) -> str | None:
        if v is not None:
            parse_path(v)
        return v

    @model_validator(mode="before")
    @classmethod
    def _share_tables(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("kinds"), dict):
            return data
        shared = data.get("code_tables") or {}
        kinds = {
            name: {**kind, "code_tables": {**shared, **(kind.get("code_tables") or {})}}
            if isinstance(kind, dict)
            else kind
            for name, kind in data["kinds"].items()
        }
        return {**data, "kinds": kinds}


def walk_fields(
    fields: dict[str, TreeFieldSpec], loops: dict[str, TreeLoopSpec], prefix: str = ""
) -> list[tuple[str, str, TreeFieldSpec]]:
    out = [(prefix, name, f) for name, f in fields.items()]
    for loop_name, loop in loops.items():
        out += walk_fields(loop.fields, loop.loops, f"{prefix}{loop_name}.")
    return out


class EdifactMapSpec(DocumentSpec):
    """A message map, `edi_maps/edifact/<MESSAGE>/<directory>.yaml`."""

    format: Literal["edifact"]
    target: Literal["commitment", "shipment", "functional_ack"]  # type: ignore[assignment]
    message: str = Field(pattern=r"^[A-Z]{6}$")
    versions: tuple[str, ...] = Field(min_length=1)  # directories: "D96A", "D01B"
    extends: str | None = None
