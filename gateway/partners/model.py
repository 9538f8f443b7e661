"""The partner config schema: one YAML file per trading partner is the onboarding unit.

Validated with `extra="forbid"`, so a typo in a partner file is an error, not a silently ignored
key. Secrets are referenced by name (environment variable or file), never written here.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Mode(StrEnum):
    PRODUCTION = "production"
    TEST = "test"


class X12Delimiters(Spec):
    element: str = "*"
    segment: str = "~"
    component: str = ">"
    repetition: str = "^"

    @field_validator("element", "segment", "component", "repetition")
    @classmethod
    def _one_char(cls, v: str) -> str:
        if len(v) != 1 or v.isalnum() or v == " ":
            raise ValueError("a delimiter is one character that is neither a letter, a digit nor a space")
        return v


class FunctionalAckKind(StrEnum):
    X997 = "997"
    X999 = "999"
    NONE = "none"


class TA1Policy(StrEnum):
    ON_REQUEST = "on_request"  # when ISA14 = 1, or when the envelope is broken
    ALWAYS = "always"
    NEVER = "never"


class X12Settings(Spec):
    """The partner's X12 identity and preferences."""

    isa_qualifier: str = "ZZ"
    isa_id: str
    gs_id: str | None = None  # GS02 when it differs from the ISA id
    version: Literal["004010", "005010"] = "004010"  # GS08 of what we send; ISA12 follows
    delimiters: X12Delimiters = X12Delimiters()
    functional_ack: FunctionalAckKind = FunctionalAckKind.X997
    ta1: TA1Policy = TA1Policy.ON_REQUEST
    request_997: bool = True  # we expect a 997 for each group we send
    po_changes: Literal["860", "850"] = "860"  # a new PO revision goes out as an 860, or as a whole new 850
    duplicate_window_days: int = Field(default=90, ge=0)

    @field_validator("isa_id")
    @classmethod
    def _isa_id(cls, v: str) -> str:
        if not v or len(v) > 15:
            raise ValueError("isa_id is 1 to 15 characters")
        return v

    @property
    def isa12(self) -> str:
        return "00401" if self.version == "004010" else "00501"


class UnitConversion(Spec):
    """`1 from_unit = factor to_unit`, e.g. a case of 12: {from_unit: CA, to_unit: EA, factor: 12}."""

    from_unit: str
    to_unit: str
    factor: Decimal = Field(gt=0)
    item: str | None = None  # only for this buyer item, when cases differ per item


class ItemXref(Spec):
    buyer_item: str
    supplier_item: str
    upc: str | None = None


class Tolerances(Spec):
    quantity_pct: Decimal = Field(default=Decimal(0), ge=0)
    price_pct: Decimal = Field(default=Decimal(0), ge=0)
    days_early: int = Field(default=0, ge=0)
    days_late: int = Field(default=0, ge=0)


class SLA(Spec):
    functional_ack_hours: int = Field(default=24, gt=0)
    po_ack_hours: int = Field(default=48, gt=0)
    ship_grace_days: int = Field(default=1, ge=0)


class FileDropChannel(Spec):
    root: str  # holds inbox/, outbox/, archive/, error/; relative paths are under the data dir


class Channels(Spec):
    filedrop: FileDropChannel | None = None


class PartnerConfig(Spec):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str
    enabled: bool = True
    mode: Mode = Mode.PRODUCTION
    x12: X12Settings | None = None
    maps: dict[str, str] = Field(
        default_factory=dict,
        description="Map overrides per document key (e.g. 'x12/855'), paths relative to edi_maps/.",
    )
    channels: Channels = Channels()
    items: tuple[ItemXref, ...] = ()
    items_csv: str | None = Field(
        default=None,
        description=(
            "A CSV of more item cross-references (columns buyer_item, supplier_item, upc), path relative "
            "to the partner file; the registry appends its rows to `items`."
        ),
    )
    units: tuple[UnitConversion, ...] = ()
    tolerances: Tolerances = Tolerances()
    sla: SLA = SLA()
    currency: str = "USD"
