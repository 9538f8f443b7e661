"""What the AS2 tests share: the gateway served by uvicorn on a loopback port, the partner's side
built from pyas2lib directly (its own organization, and the gateway as its partner), loopback HTTP
receivers, and a runtime whose partners directory holds the sample AS2 partner with certificates
made for the test run.

Keys and certificates are generated at test time (`tests.channels.certs`); nothing secret is
committed. The sample partner file `partners/fjord-metalworks.yaml` is copied with its `url` and
`mdn_mode` set for the test, and its certificate replaced by the test partner's.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from fastapi import FastAPI

from gateway.channels.as2_compat import pyas2
from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import AS2Identity
from tests.channels.certs import KeyPair, cached_key_pair
from tests.pipeline.support import MAPS_DIR, NOW, PARTNERS_DIR, SAMPLES, settings_for

__all__ = ["pyas2"]  # the partner side uses pyas2lib directly

PARTNER = "fjord-metalworks"
PARTNER_AS2 = "FJORDMETAL"
OUR_AS2 = "GATEWAYBUYER"
SAMPLE_855 = (SAMPLES / "as2" / PARTNER / "855_000007002.edi").read_bytes()
SAMPLE_ORDERS = SAMPLES / "as2" / PARTNER / "orders.json"


def ours() -> KeyPair:
    return cached_key_pair("gateway-as2")


def theirs() -> KeyPair:
    return cached_key_pair("fjord-as2")


# ------------------------------------------------------------------------------------ servers


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(app: FastAPI, sock: socket.socket | None = None) -> Iterator[str]:
    """The app served by uvicorn on a loopback port (in a thread); yields its base URL."""
    sock = sock or free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@dataclass
class Received:
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def raw(self) -> bytes:
        """The MIME message as pyas2lib parses it: headers, a blank line, the body."""
        lines = b"".join(f"{k}: {v}\r\n".encode() for k, v in self.headers)
        return lines + b"\r\n" + self.body


Handler = Callable[[Received], tuple[int, list[tuple[str, str]], bytes]]


@dataclass
class Receiver:
    """A loopback HTTP server that records every POST and answers with `handler`."""

    handler: Handler = field(default=lambda _r: (200, [("Content-Type", "text/plain")], b"ok"))
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def start(self, port: int = 0) -> Receiver:
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(self.path, list(self.headers.items()), self.rfile.read(length))
                outer.received.append(got)
                status, headers, body = outer.handler(got)
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/as2"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# ----------------------------------------------------------------------------- the partner side


def partner_org(mdn_url: str | None = None, key: KeyPair | None = None) -> Any:
    """The partner's own AS2 organization (pyas2lib)."""
    pair = key or theirs()
    return pyas2.Organization(
        as2_name=PARTNER_AS2,
        sign_key=pair.bundle,
        decrypt_key=pair.bundle,
        mdn_url=mdn_url,
        domain="fjord.test",
    )


def gateway_as_partner(
    *,
    sign: bool = True,
    encrypt: bool = True,
    compress: bool = False,
    mdn_mode: str | None = "SYNC",
    signed_mdn: bool = True,
    encrypt_to: bytes | None = None,
    verify_with: bytes | None = None,
) -> Any:
    """The gateway as the partner's pyas2lib sees it."""
    return pyas2.Partner(
        as2_name=OUR_AS2,
        verify_cert=verify_with or ours().certificate,
        encrypt_cert=encrypt_to or ours().certificate,
        sign=sign,
        encrypt=encrypt,
        enc_alg="aes_256_cbc",
        compress=compress,
        mdn_mode=mdn_mode,
        mdn_digest_alg="sha256" if signed_mdn else None,
    )


def build(data: bytes, org: Any, receiver: Any, *, message_id: str | None = None) -> Any:
    message = pyas2.Message(org, receiver)
    message.build(
        data, filename="855_000007002.edi", content_type="application/edi-x12", message_id=message_id
    )
    return message


def post(url: str, message: Any, *, body: bytes | None = None) -> httpx.Response:
    """POST a pyas2lib message as an AS2 client does: its MIME headers as HTTP headers."""
    headers = {k: " ".join(str(v).split()) for k, v in message.headers.items()}
    return httpx.post(url, headers=headers, content=message.content if body is None else body, timeout=60)


def response_mime(response: httpx.Response) -> bytes:
    lines = b"".join(f"{k}: {v}\r\n".encode() for k, v in response.headers.multi_items())
    return lines + b"\r\n" + response.content


def read_mdn(raw: bytes, original: Any) -> tuple[str | None, str | None]:
    """The partner checks our MDN for its message with pyas2lib (signature and MIC)."""
    status, detail = pyas2.Mdn().parse(
        raw, find_message_cb=lambda mid, _rcp: original if mid == original.message_id else None
    )
    return status, detail


def disposition(raw: bytes) -> str:
    """The Disposition line of an MDN, as text."""
    for line in raw.decode("utf-8", "replace").splitlines():
        if line.lower().startswith("disposition:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no Disposition in the MDN")


# -------------------------------------------------------------------------------------- runtime


def partners_dir(
    tmp: Path, *, url: str | None = None, mdn_mode: str = "sync", require_encrypted: bool = True
) -> Path:
    """The repository's partner files, with the AS2 partner's certificate and URL set for the test."""
    target = tmp / "partners"
    shutil.copytree(PARTNERS_DIR, target)
    (target / "fjord-metalworks.as2.pem").write_bytes(theirs().certificate)
    path = target / "fjord-metalworks.yaml"
    config = yaml.safe_load(path.read_text())
    config["channels"]["as2"]["url"] = url or "http://127.0.0.1:9/as2"
    config["channels"]["as2"]["mdn_mode"] = mdn_mode
    config["channels"]["as2"]["require_encrypted"] = require_encrypted
    path.write_text(yaml.safe_dump(config))
    return target


def as2_runtime(
    tmp: Path,
    database_url: str,
    *,
    partner_url: str | None = None,
    mdn_mode: str = "sync",
    mdn_url: str | None = None,
    clock: FixedClock | None = None,
    require_encrypted: bool = True,
) -> Runtime:
    key_file = tmp / "secrets" / "gateway-as2.pem"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(ours().bundle)
    settings = settings_for(tmp / "data", database_url)
    settings.partners_dir = partners_dir(
        tmp, url=partner_url, mdn_mode=mdn_mode, require_encrypted=require_encrypted
    )
    settings.maps_dir = MAPS_DIR
    settings.as2 = AS2Identity(as2_id=OUR_AS2, key=f"file:{key_file}", domain="gateway.test", mdn_url=mdn_url)
    return build_runtime(settings, clock=clock or FixedClock(NOW))
