"""The partner config schema: one YAML file per trading partner is the onboarding unit.

Validated with `extra="forbid"`, so a typo in a partner file is an error, not a silently ignored
key. Secrets are referenced by name (environment variable or file), never written here.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


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


# A reference to a secret, never the secret: `env:NAME` (an environment variable) or `file:PATH` (a
# file's content, trailing newline stripped; relative paths are under the partner directory).
SecretRef = Annotated[
    str,
    Field(
        pattern=r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:\S+)$",
        description="env:NAME or file:PATH, never the secret itself",
    ),
]


class AckPolicy(StrEnum):
    ON_REQUEST = "on_request"  # when the interchange asks (UNB 0031 = 1), or its envelope is broken
    ALWAYS = "always"
    NEVER = "never"


class EdifactDelimiters(Spec):
    """UN/EDIFACT service characters (UNA): what we write, and the defaults UNOA/UNOB imply."""

    component: str = ":"
    element: str = "+"
    decimal: str = "."
    release: str = "?"
    repetition: str = "*"
    segment: str = "'"


class EdifactSettings(Spec):
    """The partner's UN/EDIFACT identity (UNB S002/S003) and preferences."""

    unb_id: str = Field(min_length=1, max_length=35)  # UNB S002 0004, as they send it
    unb_qualifier: str | None = None  # UNB S002 0007 (14 = GLN, ZZZ mutually defined); None: any
    syntax: Literal["UNOA", "UNOB", "UNOC", "UNOD", "UNOE", "UNOF", "UNOW", "UNOX", "UNOY"] = "UNOC"
    syntax_version: Literal[1, 2, 3, 4] = 3
    directory: Literal["D96A", "D01B"] = "D96A"  # the release of the ORDERS we send them
    association: str | None = None  # UNH S009 0057 of what we send, e.g. EAN008
    delimiters: EdifactDelimiters = EdifactDelimiters()
    write_una: bool = True
    contrl: AckPolicy = AckPolicy.ON_REQUEST  # CONTRL for their interchanges
    request_contrl: bool = True  # we ask for (and expect) a CONTRL for each ORDERS interchange
    duplicate_window_days: int = Field(default=90, ge=0)


class CxmlSettings(Spec):
    """The partner's cXML credentials (From/Sender) and where we post OrderRequests."""

    domain: str = Field(min_length=1)  # Credential@domain, e.g. NetworkID, DUNS
    identity: str = Field(min_length=1)  # Credential/Identity
    shared_secret: SecretRef  # the SharedSecret they send in Sender (and we send them)
    order_url: str | None = None  # their OrderRequest endpoint; None: orders are not sent by cXML
    duplicate_window_days: int = Field(default=90, ge=0)


class PortalSettings(Spec):
    """A supplier portal that posts JSON events to `/v1/webhooks/{portal}` (Standard Webhooks)."""

    portal: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")  # the `{portal}` in the URL
    account: str = Field(min_length=1)  # the partner's account id in the portal's payloads
    secrets: tuple[SecretRef, ...] = Field(min_length=1)  # whsec_ keys; several during a rotation
    map: str  # the JSON map under edi_maps/, e.g. json/portal/supplyhub.yaml


class AS2Settings(Spec):
    """AS2 (RFC 4130): the partner's AS2 id, certificates and MDN preferences."""

    as2_id: str = Field(min_length=1, max_length=128)
    url: str | None = None  # their AS2 endpoint for what we send; None: we only receive
    certificate: str  # their public certificate (PEM), relative to the partner directory
    ca_certificate: str | None = None  # the CA chain their certificate is checked against (PEM)
    require_signed: bool = True  # what they send must be signed (with `certificate`)
    require_encrypted: bool = True  # what they send must be encrypted (to our certificate)
    encryption: (
        Literal["tripledes_192_cbc", "rc2_128_cbc", "aes_128_cbc", "aes_192_cbc", "aes_256_cbc"] | None
    ) = "aes_256_cbc"
    signature: Literal["sha1", "sha224", "sha256", "sha384", "sha512"] | None = "sha256"
    compress: bool = False
    mdn_mode: Literal["sync", "async"] = "sync"  # the MDN we ask for on what we send
    mdn_signed: bool = True


class FileDropChannel(Spec):
    root: str  # holds inbox/, outbox/, archive/, error/; relative paths are under the data dir


class RestPollChannel(Spec):
    """The partner's own REST API, polled for order confirmations and shipments (OAuth 2 client
    credentials), its JSON mapped with `edi_maps/`."""

    base_url: str
    token_url: str
    client_id: str
    client_secret: SecretRef
    scope: str | None = None
    confirmations_path: str | None = "/confirmations"
    shipments_path: str | None = "/shipments"
    map: str  # the JSON map under edi_maps/, e.g. json/rest/northwind.yaml
    interval_minutes: int = Field(default=15, gt=0)
    page_size: int = Field(default=100, gt=0, le=1000)
    cursor_param: str = "cursor"  # the query parameter that asks for the page after a cursor
    limit_param: str = "limit"  # the query parameter that sets the page size
    next_cursor: str = "next_cursor"  # where a page names the next page's cursor (a map path)


class SupplierScope(StrEnum):
    """What a supplier's API client may be granted (the internal scopes are the API's own)."""

    ORDERS_READ = "orders:read"
    COMMITMENTS_WRITE = "commitments:write"
    SHIPMENTS_WRITE = "shipments:write"
    EXCEPTIONS_READ = "exceptions:read"
    EDI_WRITE = "edi:write"  # raw X12/EDIFACT upload


class ClientAuthMethod(StrEnum):
    """How a client authenticates at `/oauth/token` (RFC 7591 names)."""

    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 (a method name, not a secret)
    CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105
    PRIVATE_KEY_JWT = "private_key_jwt"  # RFC 7523: a JWT signed with the key of `jwks`


# JWK members that only a private (or symmetric) key has: such a key is a secret and never
# belongs in a partner file.
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class ApiClientSpec(Spec):
    """One OAuth 2 client of the partner. The secret of a `client_secret_*` client is issued by
    `gateway clients secret CLIENT_ID` and stored hashed in the database, never here."""

    client_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
    name: str | None = None
    scopes: tuple[SupplierScope, ...] = tuple(SupplierScope)
    auth_method: ClientAuthMethod = ClientAuthMethod.CLIENT_SECRET_BASIC
    jwks: tuple[dict[str, Any], ...] = Field(
        default=(),
        description="The partner's PUBLIC JWKs for private_key_jwt (several during their key rotation).",
    )

    @model_validator(mode="after")
    def _keys_match_the_method(self) -> ApiClientSpec:
        if self.auth_method is ClientAuthMethod.PRIVATE_KEY_JWT and not self.jwks:
            raise ValueError("private_key_jwt needs the partner's public key in `jwks`")
        if self.auth_method is not ClientAuthMethod.PRIVATE_KEY_JWT and self.jwks:
            raise ValueError(f"`jwks` is only read for private_key_jwt, not {self.auth_method}")
        for key in self.jwks:
            if key.get("kty") not in ("EC", "RSA", "OKP"):
                raise ValueError("each key in `jwks` is an EC, RSA or OKP public JWK (kty)")
            if private := sorted(_PRIVATE_JWK_MEMBERS & key.keys()):
                raise ValueError(
                    f"a key in `jwks` has private members ({', '.join(private)}): only the PUBLIC key "
                    "belongs in a partner file"
                )
        if len(set(self.scopes)) != len(self.scopes):
            raise ValueError("a scope is listed twice")
        return self


class PartnerApi(Spec):
    """The partner's access to the supplier API."""

    clients: tuple[ApiClientSpec, ...] = ()
    rate_limit_per_minute: int | None = Field(default=None, gt=0)  # None: the gateway's default


class Channels(Spec):
    filedrop: FileDropChannel | None = None
    as2: AS2Settings | None = None
    rest_poll: RestPollChannel | None = None
    outbound: Literal["as2", "filedrop"] | None = Field(
        default=None,
        description=(
            "How our documents (850, ORDERS, acknowledgements) reach the partner. Default: AS2 when "
            "`as2.url` is set, else the file drop's outbox when there is one."
        ),
    )

    @model_validator(mode="after")
    def _outbound_is_configured(self) -> Channels:
        if self.outbound == "as2" and (self.as2 is None or self.as2.url is None):
            raise ValueError("outbound: as2 needs channels.as2 with a url")
        if self.outbound == "filedrop" and self.filedrop is None:
            raise ValueError("outbound: filedrop needs channels.filedrop")
        return self

    @property
    def outbound_transport(self) -> Literal["as2", "filedrop", "none"]:
        """The transport our documents go out by (see `outbound`)."""
        if self.outbound is not None:
            return self.outbound
        if self.as2 is not None and self.as2.url is not None:
            return "as2"
        if self.filedrop is not None:
            return "filedrop"
        return "none"


class PartnerConfig(Spec):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str
    enabled: bool = True
    mode: Mode = Mode.PRODUCTION
    x12: X12Settings | None = None
    edifact: EdifactSettings | None = None
    cxml: CxmlSettings | None = None
    portal: PortalSettings | None = None
    order_format: Literal["x12", "edifact", "cxml", "none"] | None = Field(
        default=None,
        description=(
            "How purchase orders go out: an 850, an ORDERS, a cXML OrderRequest, or not at all (the "
            "supplier reads them from the API). Default: the first of x12, edifact, cxml configured."
        ),
    )
    maps: dict[str, str] = Field(
        default_factory=dict,
        description="Map overrides per document key (e.g. 'x12/855'), paths relative to edi_maps/.",
    )
    channels: Channels = Channels()
    api: PartnerApi | None = None
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

    @property
    def outbound_format(self) -> Literal["x12", "edifact", "cxml", "none"]:
        """The format purchase orders go out in (see `order_format`)."""
        if self.order_format is not None:
            return self.order_format
        if self.x12 is not None:
            return "x12"
        if self.edifact is not None:
            return "edifact"
        if self.cxml is not None and self.cxml.order_url is not None:
            return "cxml"
        return "none"
