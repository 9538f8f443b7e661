"""cXML out (cXML 1.2.050): the synchronous Response to a posted request, and the element helpers
the OrderRequest map (`gateway.mapping.cxml_order`) writes with.

Response status codes (cXML Reference Guide, "Status"; EDI_REFERENCE.md "cXML"): 200 means
received and accepted for processing (not commercial acceptance), 201 accepted for later
processing, 4xx permanent (400 parsed but unacceptable, 401 credentials not recognised, 406 not
parseable, 450 a request type the server does not implement), 5xx transient (the sender retries).
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum

from lxml import etree

from gateway.formats.cxml.model import Credential

VERSION = "1.2.050"
DTD = "http://xml.cxml.org/schemas/cXML/{version}/cXML.dtd"
LANG = "en-US"


class StatusCode(IntEnum):
    OK = 200
    ACCEPTED = 201
    NO_CONTENT = 204
    BAD_REQUEST = 400
    UNAUTHORIZED = 401
    FORBIDDEN = 403
    NOT_ACCEPTABLE = 406
    CONFLICT = 409
    NOT_IMPLEMENTED = 450
    INTERNAL_SERVER_ERROR = 500

    @property
    def text(self) -> str:
        return _TEXTS[self]

    @property
    def retryable(self) -> bool:
        return self >= 500


_TEXTS = {
    StatusCode.OK: "OK",
    StatusCode.ACCEPTED: "Accepted",
    StatusCode.NO_CONTENT: "No Content",
    StatusCode.BAD_REQUEST: "Bad Request",
    StatusCode.UNAUTHORIZED: "Unauthorized",
    StatusCode.FORBIDDEN: "Forbidden",
    StatusCode.NOT_ACCEPTABLE: "Not Acceptable",
    StatusCode.CONFLICT: "Conflict",
    StatusCode.NOT_IMPLEMENTED: "Not Implemented",
    StatusCode.INTERNAL_SERVER_ERROR: "Internal Server Error",
}


def stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("cXML timestamps need a timezone-aware datetime")
    return moment.isoformat(timespec="seconds")


def document(payload_id: str, timestamp: datetime, version: str) -> etree._Element:
    root = etree.Element("cXML")
    root.set("payloadID", payload_id)
    root.set("timestamp", stamp(timestamp))
    root.set("version", version)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", LANG)
    return root


def serialise(root: etree._Element, version: str) -> bytes:
    doctype = f'<!DOCTYPE cXML SYSTEM "{DTD.format(version=version)}">'
    return etree.tostring(
        etree.ElementTree(root), xml_declaration=True, encoding="UTF-8", doctype=doctype, pretty_print=True
    )


def element(parent: etree._Element, tag: str, text: str, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrs)
    el.text = text
    return el


def lang_element(parent: etree._Element, tag: str, text: str) -> etree._Element:
    el = element(parent, tag, text)
    el.set("{http://www.w3.org/XML/1998/namespace}lang", LANG)
    return el


def response(
    code: StatusCode,
    *,
    payload_id: str,
    timestamp: datetime,
    message: str = "",
    text: str | None = None,
    version: str = VERSION,
) -> bytes:
    """A `<Response><Status code text>message</Status></Response>` document."""
    root = document(payload_id, timestamp, version)
    status = etree.SubElement(etree.SubElement(root, "Response"), "Status")
    status.set("code", str(int(code)))
    status.set("text", text if text is not None else code.text)
    status.set("{http://www.w3.org/XML/1998/namespace}lang", LANG)
    if message:
        status.text = message
    return serialise(root, version)


def credential(
    parent: etree._Element, party: str, cred: Credential, *, secret: bool = False
) -> etree._Element:
    """`<From|To|Sender><Credential domain><Identity/>[<SharedSecret/>]</Credential></...>`."""
    box = etree.SubElement(parent, party)
    el = etree.SubElement(box, "Credential", {"domain": cred.domain})
    element(el, "Identity", cred.identity)
    if secret and cred.shared_secret is not None:
        element(el, "SharedSecret", cred.shared_secret)
    return box
