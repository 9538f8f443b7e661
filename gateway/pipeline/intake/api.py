"""The supplier API's JSON documents: commitments and shipments as a partner posts them, and the
reader of the receipts that hold them (channel "api").

The bodies are a document format of their own: the receipt keeps the bytes exactly as posted, and
`read` reads them again from those bytes (a replay rebuilds the same events), so their schema lives
here beside the reader; the API takes them as its request bodies.

- `issued_at` (and `sequence`, for several answers issued at the same time) is the version stamp:
  newer wins, an older commitment arriving late is recorded as stale.
- A commitment line without a schedule gets the one split its quantity, date and status imply (an
  855 line with one ACK), so the ledger shows the same schedule whatever channel it came through.
- One body is one interchange with one document; its id includes the partner (two partners may
  post the same bytes).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from gateway import canonical
from gateway.errors import FormatError, PartnerError
from gateway.formats.issues import Location
from gateway.kit import ids
from gateway.pipeline.intake.run import IntakeRun
from gateway.pipeline.translate import DocumentOutcome

CHANNEL = "api"  # JSON commitments and shipments posted to the supplier API
FORMAT = "api"
VERSION = "v1"

_PRINTABLE = r"^[\x20-\x7e]+$"
Key = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_PRINTABLE)]
LineNumber = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=_PRINTABLE)]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=8, pattern=_PRINTABLE)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$")]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
Quantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
Sequence_ = Annotated[int, Field(ge=0, le=2**31 - 1)]
DateKind = Literal["delivery", "ship"]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------------------ commitments

# The split a line's status implies when the supplier gives no schedule (EDI_REFERENCE.md grouping).
_IMPLIED_ACTION = {
    canonical.CommitmentStatus.ACCEPTED: canonical.LineAction.ACCEPT,
    canonical.CommitmentStatus.ACCEPTED_WITH_CHANGES: canonical.LineAction.CHANGE,
    canonical.CommitmentStatus.REJECTED: canonical.LineAction.REJECT,
    canonical.CommitmentStatus.BACKORDERED: canonical.LineAction.BACKORDER,
    canonical.CommitmentStatus.PENDING: canonical.LineAction.HOLD,
}
_REJECTED = frozenset({canonical.LineAction.REJECT, canonical.LineAction.DELETE})


class CommitmentSplit(_Body):
    """One committed split of a line: this quantity on this date."""

    quantity: Quantity
    unit: Unit | None = Field(default=None, description="Default: the line's unit.")
    date: dt.date | None = None
    date_kind: DateKind = "delivery"
    action: canonical.LineAction = canonical.LineAction.ACCEPT


class CommitmentLineSubmission(_Body):
    line_number: LineNumber
    status: canonical.CommitmentStatus
    quantity: Quantity | None = Field(
        default=None, description="The total committed; default: the sum of the schedule's kept splits."
    )
    unit: Unit | None = None
    date: dt.date | None = Field(default=None, description="The committed date when there is no schedule.")
    date_kind: DateKind = "delivery"
    unit_price: Money | None = None
    buyer_item: Key | None = None
    supplier_item: Key | None = None
    schedule: list[CommitmentSplit] = Field(default=[], max_length=99)

    def canonical_schedule(self) -> tuple[canonical.CommitmentLine, ...]:
        splits = self.schedule or (
            [
                CommitmentSplit(
                    quantity=self.quantity, unit=self.unit, date=self.date, date_kind=self.date_kind
                )
            ]
            if self.quantity is not None or self.date is not None
            else []
        )
        return tuple(
            canonical.CommitmentLine(
                action=split.action if self.schedule else _IMPLIED_ACTION[self.status],
                status_code=str(split.action if self.schedule else self.status),
                quantity=split.quantity,
                unit=split.unit or self.unit,
                date=split.date,
                date_kind=split.date_kind,
            )
            for split in splits
        )


class CommitmentSubmission(_Body):
    """A supplier's answer to one purchase order: a commitment per line (an 855 as JSON)."""

    po_number: Key
    issued_at: AwareDatetime = Field(description="When the supplier issued this answer: newer wins.")
    sequence: Sequence_ = Field(default=0, description="Orders answers issued at the same time.")
    supplier_reference: Key | None = None
    currency: Currency | None = None
    lines: list[CommitmentLineSubmission] = Field(min_length=1, max_length=999)

    def po_numbers(self) -> set[str]:
        return {self.po_number}

    def events(self, partner_id: str, document_id: str, receipt_id: str) -> tuple[canonical.Commitment, ...]:
        version = canonical.VersionStamp(
            issued_at=self.issued_at, sequence=self.sequence, source=f"api:commitment:{receipt_id}"
        )
        out = []
        for line in self.lines:
            schedule = line.canonical_schedule()
            kept = [s for s in schedule if s.action not in _REJECTED]
            quantity = line.quantity
            if quantity is None and line.status is canonical.CommitmentStatus.REJECTED:
                quantity = Decimal(0)
            elif quantity is None and any(s.quantity is not None for s in kept):
                quantity = sum((s.quantity for s in kept if s.quantity is not None), Decimal(0))
            dates = [s.date for s in kept if s.date is not None]
            out.append(
                canonical.Commitment(
                    partner_id=partner_id,
                    document_id=document_id,
                    occurred_at=self.issued_at,
                    po_number=self.po_number,
                    line_number=line.line_number,
                    status=line.status,
                    quantity=quantity,
                    unit=line.unit or next((s.unit for s in kept if s.unit), None),
                    committed_date=max(dates) if dates else None,
                    unit_price=line.unit_price,
                    currency=self.currency,
                    buyer_item=line.buyer_item,
                    supplier_item=line.supplier_item,
                    schedule=schedule,
                    supplier_reference=self.supplier_reference,
                    version=version,
                )
            )
        return tuple(out)


# ------------------------------------------------------------------------------ shipments


class PackageSubmission(_Body):
    sscc: Key | None = None
    level: Key = Field(description='"tare" (a pallet), "pack" (a carton), or as you name it.')
    parent_sscc: Key | None = None
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] = 1


class ShipmentLineSubmission(_Body):
    po_number: Key
    line_number: LineNumber
    buyer_item: Key | None = None
    supplier_item: Key | None = None
    upc: Key | None = None
    quantity: Quantity
    unit: Unit
    lot: Key | None = None
    serials: list[Key] = Field(default=[], max_length=9999)
    sscc: Key | None = None


class ShipmentSubmission(_Body):
    """A ship notice (an 856 as JSON). Posting the same `shipment_id` again replaces it (purpose
    `replace`, or `delete` to withdraw it); its quantities never count twice."""

    shipment_id: Key
    purpose: canonical.ShipmentPurpose = canonical.ShipmentPurpose.ORIGINAL
    issued_at: AwareDatetime = Field(description="When the supplier issued this notice: newer wins.")
    sequence: Sequence_ = 0
    ship_date: dt.date | None = None
    expected_delivery: dt.date | None = None
    carrier: Key | None = Field(default=None, description="The carrier's SCAC.")
    tracking_number: Key | None = None
    bill_of_lading: Key | None = None
    ship_from: Key | None = None
    ship_to: Key | None = None
    gross_weight: Quantity | None = None
    weight_unit: Unit | None = None
    packages: list[PackageSubmission] = Field(default=[], max_length=9999)
    lines: list[ShipmentLineSubmission] = Field(min_length=1, max_length=9999)

    def po_numbers(self) -> set[str]:
        return {line.po_number for line in self.lines}

    def events(self, partner_id: str, document_id: str, receipt_id: str) -> tuple[canonical.Shipment, ...]:
        version = canonical.VersionStamp(
            issued_at=self.issued_at, sequence=self.sequence, source=f"api:shipment:{receipt_id}"
        )
        data = self.model_dump(exclude={"issued_at", "sequence", "packages", "lines"})
        return (
            canonical.Shipment(
                **data,
                partner_id=partner_id,
                document_id=document_id,
                occurred_at=self.issued_at,
                packages=tuple(canonical.Package(**p.model_dump()) for p in self.packages),
                lines=tuple(
                    canonical.ShipmentLine(**{**line.model_dump(), "serials": tuple(line.serials)})
                    for line in self.lines
                ),
                version=version,
            ),
        )


Submission = CommitmentSubmission | ShipmentSubmission


def kind_of(submission: Submission) -> str:
    return "shipment" if isinstance(submission, ShipmentSubmission) else "commitment"


def file_name_for(kind: str) -> str:
    """The receipt's file name of a body posted as `kind` ("commitment" or "shipment")."""
    return f"{kind}.json"


def parse(raw: bytes, file_name: str | None = None) -> Submission:
    """A stored body read again, as what it was posted as (its receipt's `file_name`, `shipment.json`
    or `commitment.json`); else a shipment has a `shipment_id`, a commitment has none."""
    model: type[Submission]
    if file_name == file_name_for("shipment") or (
        file_name != file_name_for("commitment") and b'"shipment_id"' in raw
    ):
        model = ShipmentSubmission
    else:
        model = CommitmentSubmission
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise FormatError(
            f"the body is not a {'shipment' if model is ShipmentSubmission else 'commitment'}: "
            f"{where}: {first.get('msg')}",
            Location(file=file_name, path=where or None),
        ) from None


def document_id(partner_id: str, content_sha256: str) -> ids.DocumentId:
    """The document id of a body: the partner is part of it (two partners may post the same bytes)."""
    return ids.document_id(ids.sha256_hex(f"{CHANNEL}:{partner_id}:{content_sha256}".encode()), 0)


# ------------------------------------------------------------------------------ the reader


def read(run: IntakeRun) -> None:
    """The channel "api" reader: one body, one interchange with one document."""
    receipt = run.receipt
    if receipt.partner_id is None:
        raise PartnerError(f"receipt {receipt.id} came through the API without a partner")
    partner = run.rt.partners.get(receipt.partner_id)
    submission = parse(receipt.raw, receipt.file_name)
    kind = kind_of(submission)
    # Each post is its own interchange, numbered by its receipt; duplicates are by content.
    control = uuid.UUID(receipt.id).hex
    ic = run.open_interchange(
        format=FORMAT,
        sender=partner.id,
        receiver="gateway",
        control_number=control,
        partner=partner,
        partner_id=partner.id,
        is_test=False,
        prepared_at=submission.issued_at,
        window_days=0,
    )
    doc_id = document_id(partner.id, receipt.content_sha256)
    run.document(
        ic,
        DocumentOutcome(
            document_id=doc_id,
            format=FORMAT,
            doc_type=kind,
            control_number=control,
            version=VERSION,
            events=submission.events(partner.id, doc_id, receipt.id),
        ),
    )
    run.close_interchange(ic, ())
