"""AS2 (RFC 4130) with pyas2lib: reading signed, encrypted and compressed messages, building MDNs,
building our own messages and reading the MDNs partners return.

pyas2lib is sans-I/O: it turns bytes into a message and a message into bytes. This module wraps it
in typed values and does no storage and no HTTP; `gateway.pipeline.as2_inbound` and
`gateway.pipeline.as2_outbound` compose it with the store and the network.

On the wire an AS2 message is an HTTP POST whose headers are the MIME headers of the message
(AS2-From, AS2-To, Message-ID, Content-Type...) and whose body is the MIME body. pyas2lib reads and
writes the whole MIME message, so `mime_bytes` joins HTTP headers and body and `split_mime` splits
them again.

MDN dispositions (RFC 4130 section 7.4.3, EDI_REFERENCE "AS2, MDN and webhooks"):
`automatic-action/MDN-sent-automatically; processed` for success, and
`processed/Error: <modifier>` with the modifiers authentication-failed (bad signature),
decryption-failed, insufficient-message-security (unsigned or unencrypted where the partner's config
requires it), unknown-trading-partner, decompression-failed and unexpected-processing-error;
`processed/Warning: duplicate-document` answers a message received before. pyas2lib's exceptions
carry their disposition, and `Inbound.disposition` reports it.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any, Literal

from gateway.channels.as2_compat import pyas2, pyas2_errors

MdnMode = Literal["sync", "async"]
PROCESSED = "processed"
DUPLICATE_STATUS = "processed/Warning"
DUPLICATE_MODIFIER = "duplicate-document"
UNEXPECTED_STATUS = "processed/Error"
UNEXPECTED_MODIFIER = "unexpected-processing-error"
CONFIRM_TEXT = "The AS2 message has been received and its content stored for processing."


class AS2ConfigError(ValueError):
    """Our identity or a partner's AS2 profile cannot be loaded (key, password, certificate)."""


@dataclass(frozen=True)
class Identity:
    """Our AS2 identity: id, key pair (PEM private key and certificate, or PKCS#12), Message-ID domain."""

    as2_id: str
    key: bytes
    key_password: str | None = None
    domain: str = "gateway.invalid"
    mdn_url: str | None = None  # where partners post asynchronous MDNs for what we send
    confirm_text: str = CONFIRM_TEXT


@dataclass(frozen=True)
class Profile:
    """A partner as AS2 sees it: its id and certificate, how we send to it, what we require of it."""

    as2_id: str
    certificate: bytes
    ca_certificate: bytes | None = None
    encryption: str | None = "aes_256_cbc"
    signature: str | None = "sha256"
    compress: bool = False
    mdn_mode: MdnMode = "sync"
    mdn_signed: bool = True
    require_signed: bool = True
    require_encrypted: bool = True


def organization(identity: Identity) -> Any:
    """Our identity as a pyas2lib Organization (signs MDNs and messages, decrypts what we receive)."""
    try:
        return pyas2.Organization(
            as2_name=identity.as2_id,
            sign_key=identity.key,
            sign_key_pass=identity.key_password,
            decrypt_key=identity.key,
            decrypt_key_pass=identity.key_password,
            mdn_url=identity.mdn_url,
            mdn_confirm_text=identity.confirm_text,
            domain=identity.domain,
        )
    except (pyas2_errors.AS2Exception, ValueError, TypeError, OSError) as exc:
        raise AS2ConfigError(f"our AS2 key cannot be loaded: {exc}") from None


def partner(profile: Profile, *, inbound: bool) -> Any:
    """The partner as a pyas2lib Partner. `inbound`: the sign/encrypt flags say what we require of
    what it sends; otherwise what we do to what we send it."""
    sign = profile.require_signed if inbound else profile.signature is not None
    encrypt = profile.require_encrypted if inbound else profile.encryption is not None
    try:
        return pyas2.Partner(
            as2_name=profile.as2_id,
            verify_cert=profile.certificate,
            verify_cert_ca=profile.ca_certificate,
            encrypt_cert=profile.certificate,
            encrypt_cert_ca=profile.ca_certificate,
            sign=sign,
            digest_alg=profile.signature or "sha256",
            encrypt=encrypt,
            enc_alg=profile.encryption or "aes_256_cbc",
            compress=profile.compress,
            mdn_mode=profile.mdn_mode.upper(),
            mdn_digest_alg=(profile.signature or "sha256") if profile.mdn_signed else None,
        )
    except (pyas2_errors.ImproperlyConfigured, ValueError) as exc:
        raise AS2ConfigError(f"AS2 partner {profile.as2_id}: {exc}") from None


# ------------------------------------------------------------------------------------ MIME framing


def mime_bytes(headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """The MIME message an HTTP request or response carries: its headers, a blank line, the body."""
    lines = b"".join(f"{name}: {value}\r\n".encode("utf-8", "replace") for name, value in headers)
    return lines + b"\r\n" + body


def split_mime(raw: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body of a MIME message built by `mime_bytes` (or by pyas2lib)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = raw.partition(b"\n\n")
    parsed = message_from_bytes(head + b"\r\n\r\n")
    return [(k, str(v)) for k, v in parsed.items()], body


HOP_BY_HOP = frozenset(
    {"host", "content-length", "connection", "transfer-encoding", "accept-encoding", "user-agent", "accept"}
)


def transport_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers to carry over HTTP (the MIME ones), without hop-by-hop ones HTTP sets itself."""
    return [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]


@dataclass(frozen=True)
class Envelope:
    """The AS2 headers of a message, read without decrypting anything."""

    as2_from: str | None
    as2_to: str | None
    message_id: str | None
    content_type: str
    mdn_requested: bool
    mdn_url: str | None  # Receipt-Delivery-Option: an asynchronous MDN goes there
    mdn_signed: bool  # Disposition-Notification-Options asks for a signed receipt

    @property
    def mdn_mode(self) -> MdnMode | None:
        if not self.mdn_requested:
            return None
        return "async" if self.mdn_url else "sync"


def envelope(headers: Iterable[tuple[str, str]]) -> Envelope:
    h = {k.lower(): v for k, v in headers}

    def name(key: str) -> str | None:
        value = h.get(key)
        return email.utils.unquote(value.strip()) if value and value.strip() else None

    message_id = h.get("message-id")
    return Envelope(
        as2_from=name("as2-from"),
        as2_to=name("as2-to"),
        message_id=message_id.strip().lstrip("<").rstrip(">") if message_id else None,
        content_type=h.get("content-type", "").split(";")[0].strip().lower(),
        mdn_requested=bool(h.get("disposition-notification-to")),
        mdn_url=(h.get("receipt-delivery-option") or "").strip() or None,
        mdn_signed="signed-receipt-protocol" in h.get("disposition-notification-options", "").lower(),
    )


def looks_like_mdn(headers: Iterable[tuple[str, str]], body: bytes) -> bool:
    """Whether a POST carries an MDN (multipart/report, or one signed) rather than a message."""
    kind = envelope(headers).content_type
    if kind == "multipart/report":
        return True
    return kind == "multipart/signed" and b"multipart/report" in body[:4096].lower()


# --------------------------------------------------------------------------------------- inbound


@dataclass(frozen=True)
class Mdn:
    """An MDN we built: what goes on the wire, and what it says."""

    message_id: str
    headers: list[tuple[str, str]]
    body: bytes
    disposition: str
    signed: bool
    mode: MdnMode
    url: str | None

    @property
    def raw(self) -> bytes:
        return mime_bytes(self.headers, self.body)


@dataclass(frozen=True)
class Inbound:
    """What reading one AS2 message gave."""

    envelope: Envelope
    status: str  # "processed", or e.g. "processed/Error"
    modifier: str | None  # e.g. "authentication-failed"
    error: str | None
    payload: bytes | None
    filename: str | None
    content_type: str | None
    signed: bool
    encrypted: bool
    compressed: bool
    mic: str | None
    mic_alg: str | None
    mdn: Mdn | None
    _message: Any = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == PROCESSED

    @property
    def disposition(self) -> str:
        return disposition(self.status, self.modifier)

    def rebuild_mdn(self, status: str, modifier: str | None) -> Mdn | None:
        """The MDN with another disposition (a duplicate, a failure after reading), if one was asked."""
        if self.mdn is None or self._message is None:
            return None
        return _build_mdn(self._message, self.envelope, status, modifier)


def disposition(status: str, modifier: str | None) -> str:
    return f"{status}: {modifier}" if modifier else status


def read_message(
    raw: bytes,
    *,
    find_org: Callable[[str], Any],
    find_partner: Callable[[str], Any],
) -> Inbound:
    """Decrypt, decompress and verify one AS2 message (raw = MIME headers + body), and build the MDN
    its sender asked for. Failures are an `Inbound` with the error disposition, never an exception."""
    headers, body = split_mime(raw)
    env = envelope(headers)
    # pyas2lib would build the MDN inside `parse`, and fails to for an unknown sender; without
    # Disposition-Notification-To (an outer header, covered by no signature) it builds none, and
    # `_build_mdn` builds it below.
    quiet = mime_bytes([(k, v) for k, v in headers if k.lower() != "disposition-notification-to"], body)
    message = pyas2.Message()
    try:
        status, (exc, _trace), _ = message.parse(quiet, find_org_cb=find_org, find_partner_cb=find_partner)
    except Exception as e:  # pyas2lib failing outside its own guard (a malformed header, say)
        status, exc = UNEXPECTED_STATUS, e
    modifier = None
    if status != PROCESSED:
        modifier = getattr(exc, "disposition_modifier", None) or UNEXPECTED_MODIFIER
    ok = status == PROCESSED
    payload_bytes: bytes | None = None
    filename = content_type = None
    if ok and message.payload is not None:
        content = message.content
        payload_bytes = content if isinstance(content, bytes) else str(content).encode("utf-8")
        filename = message.payload.get_filename()
        content_type = message.payload.get_content_type()
    mic = message.mic.decode() if isinstance(message.mic, bytes) else None
    inbound = Inbound(
        envelope=env,
        status=status,
        modifier=modifier,
        error=f"{type(exc).__name__}: {exc}" if exc is not None else None,
        payload=payload_bytes,
        filename=filename,
        content_type=content_type,
        signed=bool(message.signed),
        encrypted=bool(message.encrypted),
        compressed=bool(message.compressed),
        mic=mic,
        mic_alg=message.digest_alg if mic else None,
        mdn=None,
        _message=message,
    )
    if not env.mdn_requested or env.as2_from is None or env.as2_to is None:
        return inbound
    mdn = _build_mdn(message, env, status, modifier)
    return Inbound(**{**inbound.__dict__, "mdn": mdn})


def _build_mdn(message: Any, env: Envelope, status: str, modifier: str | None) -> Mdn:
    if message.sender is None:
        # An unknown sender still gets a (signed, when asked) MDN; pyas2lib reads the signature
        # scheme off the sender, so a stand-in with the defaults takes its place.
        message.sender = pyas2.Partner(as2_name=env.as2_from or "unknown")
    built = pyas2.Mdn(mdn_mode=(env.mdn_mode or "sync").upper(), mdn_url=env.mdn_url)
    built.build(message=message, status=status, detailed_status=modifier)
    headers = [(k, str(v)) for k, v in built.headers.items()]
    return Mdn(
        message_id=built.message_id,
        headers=headers,
        body=built.content,
        disposition=disposition(status, modifier),
        signed=built.payload.get_content_type() == "multipart/signed",
        mode=env.mdn_mode or "sync",
        url=env.mdn_url,
    )


# -------------------------------------------------------------------------------------- outbound


@dataclass(frozen=True)
class Outbound:
    """A message we built for a partner, as it goes on the wire."""

    message_id: str
    headers: list[tuple[str, str]]
    body: bytes
    mic: str | None
    mic_alg: str | None
    signed: bool
    encrypted: bool
    compressed: bool

    @property
    def raw(self) -> bytes:
        return mime_bytes(self.headers, self.body)


def build_message(
    identity: Identity,
    profile: Profile,
    data: bytes,
    *,
    filename: str,
    content_type: str,
    message_id: str | None = None,
    subject: str = "EDI",
) -> Outbound:
    """Our message to a partner: compressed, signed and encrypted as its profile says, asking for
    the MDN its profile names (async ones go to `identity.mdn_url`)."""
    if profile.mdn_mode == "async" and not identity.mdn_url:
        raise AS2ConfigError(f"AS2 partner {profile.as2_id} wants asynchronous MDNs: set our mdn_url")
    message = pyas2.Message(organization(identity), partner(profile, inbound=False))
    try:
        message.build(
            data,
            filename=filename,
            subject=subject,
            content_type=content_type,
            message_id=message_id,
            disposition_notification_to=f"as2@{identity.domain}",
        )
    except (pyas2_errors.AS2Exception, pyas2_errors.ImproperlyConfigured, ValueError) as exc:
        raise AS2ConfigError(f"AS2 message to {profile.as2_id} cannot be built: {exc}") from None
    return Outbound(
        message_id=message.message_id,
        headers=[(k, str(v)) for k, v in message.headers.items()],
        body=message.content,
        mic=message.mic.decode() if isinstance(message.mic, bytes) else None,
        mic_alg=message.digest_alg,
        signed=bool(message.signed),
        encrypted=bool(message.encrypted),
        compressed=bool(message.compressed),
    )


@dataclass(frozen=True)
class MdnResult:
    """A partner's MDN for one of our messages, read and verified."""

    original_message_id: str | None
    message_id: str | None
    status: str | None  # "processed", "processed/warning", "processed/Error", "failed/Failure"
    detail: str | None
    signed: bool
    mic: str | None  # Received-content-MIC as the partner computed it

    @property
    def ok(self) -> bool:
        return self.status == PROCESSED

    @property
    def disposition(self) -> str:
        return disposition(self.status or "failed/Failure", self.detail)


def original_message_id(raw: bytes) -> str | None:
    """The Original-Message-ID an MDN answers (read without verifying it)."""
    try:
        mdn = pyas2.Mdn()
        mdn.payload = message_from_bytes(raw)
        message_id, _ = mdn.detect_mdn()
    except Exception:  # not an MDN at all
        return None
    return str(message_id) if message_id else None


def read_mdn(
    raw: bytes,
    *,
    identity: Identity,
    profile: Profile,
    message_id: str,
    mic: str | None,
) -> MdnResult:
    """Verify a partner's MDN (its signature, when the profile asks for signed MDNs; the MIC it
    returns against ours) for our message `message_id`."""
    original = pyas2.Message(organization(identity), partner(profile, inbound=False))
    original.message_id = message_id
    original.mic = mic.encode() if mic else None
    mdn = pyas2.Mdn()

    def find(orig_id: str, _recipient: str | None) -> Any:
        return original if orig_id == message_id else None

    status, detail = mdn.parse(raw, find_message_cb=find)
    signed = mdn.payload is not None and b"multipart/signed" in raw[:2048].lower()
    returned_mic = None
    if mdn.payload is not None:
        for part in mdn.payload.walk():
            if part.get_content_type() == "message/disposition-notification":
                fields = part.get_payload()[-1]
                returned_mic = (fields.get("Received-Content-MIC") or "").split(",")[0].strip() or None
    return MdnResult(
        original_message_id=mdn.orig_message_id,
        message_id=mdn.message_id,
        status=status,
        detail=detail or None,
        signed=signed,
        mic=returned_mic,
    )


def header(headers: Iterable[tuple[str, str]] | Mapping[str, str], name: str) -> str | None:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return next((v for k, v in items if k.lower() == name.lower()), None)
