"""The cXML envelope (cXML 1.2 Reference Guide, "cXML Envelope" and "Header"): what every document
says about itself before its request is mapped.

    <cXML payloadID="..." timestamp="..." version="1.2.050" xml:lang="en-US">
      <Header>
        <From><Credential domain="NetworkID"><Identity>AN01..</Identity></Credential></From>
        <To>...</To>
        <Sender><Credential domain="NetworkID"><Identity>..</Identity>
                <SharedSecret>..</SharedSecret></Credential><UserAgent>..</UserAgent></Sender>
      </Header>
      <Request deploymentMode="production|test"><ConfirmationRequest>...</ConfirmationRequest></Request>
    </cXML>

A document is a Request (with a Header), a Response (`Status` code and text, no Header) or a
Message. The version is the root's `version`, else the release in the DTD URL the DOCTYPE names
(`.../cXML/1.2.050/Fulfill.dtd`): some senders write only one of them. Problems that still let the
document be read are issues located by path; a root that is not `cXML` is a `FormatError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from gateway.errors import FormatError
from gateway.formats.cxml.parser import XmlDocument
from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.formats.tree import Node, parse_iso_datetime

_DTD_VERSION = re.compile(r"/cXML/(\d+\.\d+(?:\.\d+)?)/", re.IGNORECASE)


class Kind(StrEnum):
    REQUEST = "Request"
    RESPONSE = "Response"
    MESSAGE = "Message"


class DeploymentMode(StrEnum):
    PRODUCTION = "production"
    TEST = "test"


@dataclass(frozen=True, slots=True)
class Credential:
    """One `Credential`: a domain (NetworkID, DUNS, ...) and an identity; the Sender's carries the
    SharedSecret (kept out of `repr`)."""

    domain: str
    identity: str
    shared_secret: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return f"{self.domain}:{self.identity}"


@dataclass(frozen=True, slots=True)
class Status:
    """A Response's (or StatusUpdateRequest's) `Status`: code, text and the element's content."""

    code: str
    text: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class Envelope:
    payload_id: str
    timestamp: datetime | None
    version: str | None
    lang: str | None
    kind: Kind
    name: str | None  # the request, response or message element: "ConfirmationRequest", ...
    deployment_mode: DeploymentMode = DeploymentMode.PRODUCTION
    from_: tuple[Credential, ...] = ()
    to: tuple[Credential, ...] = ()
    sender: tuple[Credential, ...] = ()
    user_agent: str | None = None
    status: Status | None = None  # a Response's
    body: Node | None = field(default=None, repr=False)  # the request (or message) element

    @property
    def is_test(self) -> bool:
        return self.deployment_mode is DeploymentMode.TEST

    @property
    def shared_secret(self) -> str | None:
        """The SharedSecret the Sender presents (the first credential that carries one)."""
        return next((c.shared_secret for c in self.sender if c.shared_secret is not None), None)


def version_family(version: str | None) -> str:
    """The release family a map covers: "1.2.050" -> "1.2"; no version reads as "1.2"."""
    if not version:
        return "1.2"
    parts = version.strip().split(".")
    return ".".join(parts[:2])


def read_envelope(doc: XmlDocument, *, file_name: str | None = None) -> tuple[Envelope, tuple[Issue, ...]]:
    """The envelope of a parsed document and the issues found in it."""
    root = doc.root
    if root.name != "cXML":
        raise FormatError(
            f"not a cXML document: the root element is {root.name!r}",
            Location(file=file_name, path=root.path),
        )
    issues: list[Issue] = []
    payload_id = _attr(root, "payloadID")
    where = Location(file=file_name, interchange=payload_id or None)

    def issue(code: IssueCode, severity: Severity, path: str, message: str, bad: str | None = None) -> None:
        loc = Location(file=where.file, interchange=where.interchange, path=path)
        issues.append(Issue(code, severity, loc, message, bad))

    if not payload_id:
        issue(IssueCode.MISSING_VALUE, Severity.ERROR, f"{root.path}/@payloadID", "cXML has no payloadID")
    raw_time = _attr(root, "timestamp")
    timestamp = parse_iso_datetime(raw_time) if raw_time else None
    if raw_time and timestamp is None:
        issue(
            IssueCode.INVALID_DATE,
            Severity.WARNING,
            f"{root.path}/@timestamp",
            f"timestamp {raw_time!r} is not an ISO 8601 date-time",
            raw_time,
        )
    version = _attr(root, "version") or _dtd_version(doc.system_url)
    kind, body = _body(root)
    if kind is None or body is None:
        raise FormatError(
            "cXML holds no Request, Response or Message", Location(file=file_name, path=root.path)
        )
    header = root.first("Header")
    envelope = Envelope(
        payload_id=payload_id,
        timestamp=timestamp,
        version=version,
        lang=_attr(root, "xml:lang") or None,
        kind=kind,
        name=None,
    )
    if kind is Kind.RESPONSE:
        status_node = body.first("Status")
        status = None
        if status_node is not None:
            status = Status(_attr(status_node, "code"), _attr(status_node, "text"), status_node.value())
        else:
            issue(IssueCode.MISSING_VALUE, Severity.ERROR, body.path, "Response has no Status")
        # A Response may carry a response document (ProfileResponse, ...) beside its Status.
        answer = next((c for c in body.named("*") if c.name != "Status"), None)
        name = answer.name if answer is not None else "Response"
        return replace(envelope, name=name, status=status, body=answer or body), tuple(issues)
    if header is None:
        issue(IssueCode.MISSING_VALUE, Severity.ERROR, root.path, f"a cXML {kind} needs a Header")
    elements = list(body.named("*"))
    if not elements:
        issue(IssueCode.MISSING_VALUE, Severity.ERROR, body.path, f"{kind} holds no document")
    elif len(elements) > 1:
        issue(
            IssueCode.UNEXPECTED_SEGMENT,
            Severity.ERROR,
            elements[1].path,
            f"{kind} holds more than one document ({', '.join(e.name for e in elements)})",
        )
    mode_text = _attr(body, "deploymentMode") or "production"
    try:
        mode = DeploymentMode(mode_text)
    except ValueError:
        issue(
            IssueCode.INVALID_CODE_VALUE,
            Severity.ERROR,
            f"{body.path}/@deploymentMode",
            f"deploymentMode {mode_text!r} is neither production nor test",
            mode_text,
        )
        mode = DeploymentMode.PRODUCTION
    sender = header.first("Sender") if header is not None else None
    agent = sender.first("UserAgent") if sender is not None else None
    return (
        replace(
            envelope,
            name=elements[0].name if elements else None,
            deployment_mode=mode,
            from_=_credentials(header, "From"),
            to=_credentials(header, "To"),
            sender=_credentials(header, "Sender"),
            user_agent=agent.value() if agent is not None else None,
            body=elements[0] if elements else None,
        ),
        tuple(issues),
    )


def _attr(node: Node, name: str) -> str:
    found = node.first("@" + name)
    return found.value() if found is not None else ""


def _dtd_version(url: str | None) -> str | None:
    match = _DTD_VERSION.search(url or "")
    return match.group(1) if match else None


def _body(root: Node) -> tuple[Kind | None, Node | None]:
    for kind in Kind:
        found = root.first(kind.value)
        if found is not None:
            return kind, found
    return None, None


def _credentials(header: Node | None, party: str) -> tuple[Credential, ...]:
    node = header.first(party) if header is not None else None
    if node is None:
        return ()
    out = []
    for cred in node.named("Credential"):
        identity = cred.first("Identity")
        secret = cred.first("SharedSecret")
        out.append(
            Credential(
                domain=_attr(cred, "domain"),
                identity=identity.value() if identity is not None else "",
                shared_secret=secret.value() if secret is not None else None,
            )
        )
    return tuple(out)
