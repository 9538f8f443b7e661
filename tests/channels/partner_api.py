"""A small partner REST API served on loopback with a real socket, for the poller's tests: an OAuth 2
token endpoint (client credentials, HTTP Basic client authentication) and cursor-paginated
confirmations and shipments endpoints that want the bearer token. Pages are the sample pages of
`samples/rest/northwind-metals/`. Every request is recorded; pages can be made to fail."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAGES = Path(__file__).resolve().parents[2] / "samples" / "rest" / "northwind-metals"
CLIENT_ID = "gateway-buyer"
CLIENT_SECRET = "northwind-test-client-secret"
TOKEN = "tok-5f1c"


@dataclass
class PartnerApi:
    url: str
    # (path, cursor or "") -> page bytes
    pages: dict[tuple[str, str], bytes] = field(default_factory=dict)
    failing: set[tuple[str, str]] = field(default_factory=set)
    requests: list[tuple[str, dict[str, str], str]] = field(default_factory=list)  # (path, query, auth)
    tokens_issued: int = 0

    def gets(self, path: str) -> list[dict[str, str]]:
        return [query for p, query, _ in self.requests if p == path]


def sample_pages() -> dict[tuple[str, str], bytes]:
    return {
        ("/v2/confirmations", ""): (PAGES / "confirmations_page1.json").read_bytes(),
        ("/v2/confirmations", "nw-c-0002"): (PAGES / "confirmations_page2.json").read_bytes(),
        ("/v2/shipments", ""): (PAGES / "shipments_page1.json").read_bytes(),
    }


@contextmanager
def serve() -> Iterator[PartnerApi]:
    state = PartnerApi(url="", pages=sample_pages())

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            auth = self.headers.get("Authorization", "")
            state.requests.append((self.path, {k: v[0] for k, v in form.items()}, auth))
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if (
                self.path != "/oauth/token"
                or form.get("grant_type") != ["client_credentials"]
                or auth != expected
            ):
                self._send(401, json.dumps({"error": "invalid_client"}).encode())
                return
            state.tokens_issued += 1
            token = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600, "scope": "all"}
            self._send(200, json.dumps(token).encode())

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            auth = self.headers.get("Authorization", "")
            state.requests.append((parts.path, query, auth))
            if auth != f"Bearer {TOKEN}":
                self._send(401, b'{"error": "invalid_token"}')
                return
            key = (parts.path, query.get("cursor", ""))
            if key in state.failing:
                self._send(503, b'{"error": "try later"}')
                return
            page = state.pages.get(key)
            self._send(200, page) if page is not None else self._send(404, b'{"error": "no such page"}')

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
