"""Key pairs and self-signed certificates made at test time (never committed), for AS2 tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class KeyPair:
    key: bytes  # PEM private key (PKCS#8, unencrypted, or encrypted with `password`)
    certificate: bytes  # PEM certificate
    password: str | None = None

    @property
    def bundle(self) -> bytes:
        """Key and certificate in one PEM, as pyas2lib loads them."""
        return self.key + self.certificate


def make_key_pair(common_name: str, *, password: str | None = None, days: int = 30) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    return KeyPair(pem, cert.public_bytes(serialization.Encoding.PEM), password)


@lru_cache(maxsize=8)
def cached_key_pair(common_name: str, password: str | None = None) -> KeyPair:
    """One key pair per name and test process (RSA generation is the slow part)."""
    return make_key_pair(common_name, password=password)
