"""The hardened XML parser: hostile documents are refused with a typed error and never expanded or
fetched; ordinary cXML (with a DOCTYPE naming an external DTD) reads; any bytes either parse or raise
FormatError."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import FormatError
from gateway.formats.cxml.parser import DocumentTooLargeError, HostileXmlError, parse
from gateway.formats.tree import TreeLimitError, walk

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE cXML [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<cXML payloadID="&lol9;">&lol9;</cXML>
"""


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = b'<!ENTITY leaked "fetched">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request it gets (none must come)."""

    class Handler(_Recorder):
        requests: list[str] = []

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Handler.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_refuses_billion_laughs_without_expanding_it() -> None:
    with pytest.raises(HostileXmlError, match="internal subset"):
        parse(BILLION_LAUGHS, file_name="laughs.xml")


def test_refuses_an_external_file_entity_without_reading_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me", encoding="utf-8")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY x SYSTEM "file://{secret}">]><cXML a="&x;">&x;</cXML>'
    )
    with pytest.raises(HostileXmlError) as caught:
        parse(doc.encode(), file_name="xxe.xml")
    assert "do not read me" not in str(caught.value)
    assert caught.value.location is not None
    assert caught.value.location.file == "xxe.xml"


def test_refuses_an_external_http_entity_without_fetching_it(recorder: tuple[str, list[str]]) -> None:
    url, requests = recorder
    doc = f'<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY x SYSTEM "{url}/x">]><cXML>&x;</cXML>'
    with pytest.raises(HostileXmlError):
        parse(doc.encode())
    assert requests == []


def test_refuses_a_parameter_entity_pulling_a_remote_dtd(recorder: tuple[str, list[str]]) -> None:
    url, requests = recorder
    doc = f'<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]><cXML/>'
    with pytest.raises(HostileXmlError):
        parse(doc.encode())
    assert requests == []


def test_a_doctype_naming_an_external_dtd_reads_and_the_dtd_is_never_fetched(
    recorder: tuple[str, list[str]],
) -> None:
    url, requests = recorder
    doc = f'<?xml version="1.0"?>\n<!DOCTYPE cXML SYSTEM "{url}/cXML.dtd">\n<cXML payloadID="p"/>'
    parsed = parse(doc.encode())
    assert parsed.system_url == f"{url}/cXML.dtd"
    assert parsed.doctype == "cXML"
    assert parsed.root.first("@payloadID") is not None
    assert requests == []


def test_an_entity_declared_only_in_an_unloaded_external_dtd_is_refused(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY x "expanded"><!ATTLIST cXML injected CDATA "yes">', encoding="utf-8")
    doc = f'<?xml version="1.0"?><!DOCTYPE cXML SYSTEM "file://{dtd}"><cXML>&x;</cXML>'
    with pytest.raises(FormatError) as caught:
        parse(doc.encode())
    assert "expanded" not in str(caught.value)
    # And a document that uses no entity reads without the DTD's default attribute.
    ok = f'<?xml version="1.0"?><!DOCTYPE cXML SYSTEM "file://{dtd}"><cXML/>'
    assert parse(ok.encode()).root.first("@injected") is None


@pytest.mark.parametrize(
    "text",
    [
        "\n  <!-- x --><!DOCTYPE cXML [<!ENTITY a 'b'>]><cXML/>",
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE cXML [<!ENTITY a "b">]><cXML>&a;</cXML>',
    ],
)
def test_internal_subsets_are_refused_in_utf16_too(text: str) -> None:
    with pytest.raises(HostileXmlError):
        parse(text.encode("utf-16"))


def test_a_quoted_bracket_in_the_system_id_is_not_an_internal_subset() -> None:
    parsed = parse(b'<!DOCTYPE cXML SYSTEM "http://example.invalid/a[1].dtd"><cXML/>')
    assert parsed.root.name == "cXML"


def test_refuses_documents_over_the_size_limit() -> None:
    with pytest.raises(DocumentTooLargeError, match="at most 100 are read"):
        parse(b"<cXML>" + b" " * 200 + b"</cXML>", max_bytes=100)


def test_refuses_documents_nested_deeper_than_the_tree_allows() -> None:
    deep = b"<a>" * 80 + b"</a>" * 80
    with pytest.raises(TreeLimitError):
        parse(deep)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<cXML><Header></cXML>", "not well-formed XML"),
        (b"", "not"),
        (b"hello", "does not start with '<'"),
        (b'<cXML a="1" a="2"/>', "not well-formed"),
    ],
)
def test_malformed_xml_is_a_format_error_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message) as caught:
        parse(data, file_name="bad.xml")
    assert caught.value.location is not None
    assert caught.value.location.file == "bad.xml"


def test_attributes_are_children_and_paths_index_repeated_siblings() -> None:
    doc = parse(
        b'<cXML xml:lang="en"><Item n="1"><!-- c --><Q>5</Q></Item><Item n="2">t<?pi x?>u</Item><One/></cXML>'
    )
    paths = [n.path for n in walk(doc.root)]
    assert paths == [
        "/cXML",
        "/cXML/@xml:lang",
        "/cXML/Item[1]",
        "/cXML/Item[1]/@n",
        "/cXML/Item[1]/Q",
        "/cXML/Item[2]",
        "/cXML/Item[2]/@n",
        "/cXML/One",
    ]
    second = list(doc.root.named("Item"))[1]
    assert second.text == "tu"  # comments and processing instructions are dropped
    assert second.line == 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_a_format_error(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        parse(data)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="<>!&;[]'\"=/? abcDOCTYPEENTITYSYSTEM%", max_size=120))
def test_any_markup_soup_parses_or_raises_a_format_error(text: str) -> None:
    with contextlib.suppress(FormatError):
        parse(text.encode())
