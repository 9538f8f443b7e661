"""The demo's AS2 supplier (fjord-metalworks), for real and on loopback only.

A real AS2 exchange needs private keys, which are never committed: the demo makes two key pairs
for its run (ours, and one playing the partner's), keeps them under the data dir, and puts the
partner's certificate in the demo's copy of `partners/` (the file under `partners/` is the public
certificate a real partner would send, and its private half exists nowhere). The partner's AS2
server is a loopback endpoint that reads our 850 with pyas2lib and answers a signed MDN, which the
gateway verifies. The partner's 997, 855 and 856 are built with pyas2lib (signed, encrypted,
compressed, a signed synchronous MDN asked for) and received exactly as `POST /as2` receives them;
the partner side verifies each MDN we answer, signature and MIC.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from gateway.channels.as2_compat import pyas2
from gateway.pipeline import as2_inbound
from gateway.pipeline.runtime import Runtime
from gateway.settings import AS2Identity, Settings
from gateway.store import models as db
from gateway.store.session import session_scope

PARTNER = "fjord-metalworks"
ORDER = ("997", "855", "856")


@dataclass(frozen=True)
class KeyPair:
    key: bytes  # PEM, PKCS#8
    certificate: bytes  # PEM, self-signed

    @property
    def bundle(self) -> bytes:
        return self.key + self.certificate


def make_key_pair(common_name: str, now: dt.datetime) -> KeyPair:
    """An RSA key and a self-signed certificate valid for a year from `now`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KeyPair(pem, cert.public_bytes(serialization.Encoding.PEM))


@dataclass
class PartnerSide:
    """The AS2 supplier as its own software would act: its key, our certificate, its server."""

    as2_id: str
    ours: KeyPair  # our pair (the partner knows only the certificate)
    theirs: KeyPair
    our_as2_id: str
    received: list[bytes] = field(default_factory=list)  # the payloads our messages carried
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def organization(self) -> Any:
        pair = self.theirs.bundle
        return pyas2.Organization(
            as2_name=self.as2_id, sign_key=pair, decrypt_key=pair, domain="fjord-metalworks.example"
        )

    def gateway(self) -> Any:
        return pyas2.Partner(
            as2_name=self.our_as2_id,
            verify_cert=self.ours.certificate,
            encrypt_cert=self.ours.certificate,
            sign=True,
            encrypt=True,
            enc_alg="aes_256_cbc",
            compress=True,
            mdn_mode="SYNC",
            mdn_digest_alg="sha256",
        )

    def answer(self, raw: bytes) -> tuple[list[tuple[str, str]], bytes]:
        """Read one of our messages and build its MDN (pyas2lib, as the partner's server does)."""
        message = pyas2.Message()
        status, _exc, mdn = message.parse(
            raw,
            find_org_cb=lambda as2_id: self.organization() if as2_id == self.as2_id else None,
            find_partner_cb=lambda as2_id: self.gateway() if as2_id == self.our_as2_id else None,
        )
        if status == "processed":
            self.received.append(message.content)
        if mdn is None:
            return [], b""
        return [(k, " ".join(str(v).split())) for k, v in mdn.headers.items()], mdn.content

    def start(self) -> PartnerSide:
        side = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                head = b"".join(f"{k}: {v}\r\n".encode() for k, v in self.headers.items())
                headers, content = side.answer(head + b"\r\n" + body)
                self.send_response(200)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/as2"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def send(self, rt: Runtime, path: Path) -> Sent:
        """Build the partner's message for one file and hand it to our AS2 endpoint's code."""
        message = pyas2.Message(self.organization(), self.gateway())
        message.build(path.read_bytes(), filename=path.name, content_type="application/edi-x12")
        headers = [(k, " ".join(str(v).split())) for k, v in message.headers.items()]
        answer = as2_inbound.receive(rt, headers, message.content)
        mime = b"".join(f"{k}: {v}\r\n".encode() for k, v in answer.headers) + b"\r\n" + answer.body
        verified, _detail = pyas2.Mdn().parse(
            mime, find_message_cb=lambda mid, _rcp: message if mid == message.message_id else None
        )
        with session_scope(rt.sessionmaker) as session:
            row = session.get(db.AS2Message, answer.row_id) if answer.row_id else None
            receipt_id = row.receipt_id if row is not None else None
        return Sent(path.name, message.message_id, answer.disposition or "-", str(verified), receipt_id)


@dataclass(frozen=True)
class Sent:
    file: str
    message_id: str
    disposition: str  # what our MDN says
    partner_reads_mdn: str  # what the partner's pyas2lib made of our MDN (signature and MIC checked)
    receipt_id: str | None  # the payload's receipt, when it was handed on


def prepare(settings: Settings, now: dt.datetime) -> PartnerSide | None:
    """Key pairs for this run, our AS2 identity in `settings`, and the demo's copy of `partners/`
    with the AS2 partner's certificate and its loopback URL. None when AS2 is configured already
    (then the demo leaves it alone) or the samples have no AS2 partner."""
    source = settings.partners_dir / f"{PARTNER}.yaml"
    if settings.as2.key is not None or not source.is_file():
        return None
    folder = settings.data_dir / "demo-as2"
    shutil.rmtree(folder, ignore_errors=True)
    ours, theirs = make_key_pair("GATEWAYBUYER demo AS2", now), make_key_pair("FJORDMETAL demo AS2", now)
    (folder / "secrets").mkdir(parents=True)
    (folder / "secrets" / "gateway-as2.pem").write_bytes(ours.bundle)
    partners = folder / "partners"
    shutil.copytree(settings.partners_dir, partners)
    for copied in partners.glob("*.yaml"):  # secret files named relative to partners/ stay found
        original = yaml.safe_load(copied.read_text())
        copied.write_text(yaml.safe_dump(_anchored(original, settings.partners_dir), sort_keys=False))
    config = yaml.safe_load(source.read_text())
    as2 = config["channels"]["as2"]
    (partners / as2["certificate"]).write_bytes(theirs.certificate)
    side = PartnerSide(as2["as2_id"], ours, theirs, settings.as2.as2_id).start()
    as2["url"] = side.url
    (partners / source.name).write_text(yaml.safe_dump(config, sort_keys=False))
    settings.partners_dir = partners
    settings.as2 = AS2Identity(
        as2_id=settings.as2.as2_id,
        key=f"file:{folder / 'secrets' / 'gateway-as2.pem'}",
        domain="gateway-demo.example",
    )
    return side


def _anchored(value: Any, base: Path) -> Any:
    """`value` with every relative `file:` secret reference made absolute from `base`."""
    if isinstance(value, dict):
        return {k: _anchored(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [_anchored(v, base) for v in value]
    if isinstance(value, str) and value.startswith("file:") and not Path(value[5:]).is_absolute():
        return f"file:{(base / value[5:]).resolve()}"
    return value


def orders(samples: Path) -> bytes:
    """The AS2 partner's purchase orders (an ERP export of their own)."""
    return (samples / "as2" / PARTNER / "orders.json").read_bytes()


def sample_files(samples: Path) -> list[Path]:
    files = sorted((samples / "as2" / PARTNER).glob("*.edi"))
    return sorted(files, key=lambda p: (ORDER.index(p.name[:3]) if p.name[:3] in ORDER else 9, p.name))


def render(console: Console, rt: Runtime, sent: list[Sent]) -> None:
    """Every AS2 message of the run, both ways, with its MDN; then what the partner side read."""
    table = Table(title=f"AS2 with {PARTNER} (loopback, keys made for this run)", title_justify="left")
    for col in ("direction", "file", "from -> to", "security", "status", "MDN"):
        table.add_column(col, overflow="fold")
    query = select(db.AS2Message).order_by(db.AS2Message.created_at, db.AS2Message.id)
    with session_scope(rt.sessionmaker) as session:
        for row in session.scalars(query):
            security = "+".join(
                name
                for name, on in (
                    ("signed", row.signed),
                    ("encrypted", row.encrypted),
                    ("compressed", row.compressed),
                )
                if on
            )
            table.add_row(
                str(row.direction),
                row.file_name or "-",
                f"{row.as2_from} -> {row.as2_to}",
                security or "plain",
                str(row.status),
                row.disposition or "-",
            )
    console.print(table)
    for item in sent:
        console.print(
            f"  {PARTNER} read our MDN for {item.file}: {item.partner_reads_mdn} (signature and MIC)"
        )
