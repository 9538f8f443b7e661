"""Two tenants of our own per test: partner files written beside a copy of the repository's partners.

Every test gets partners A and B (and a disabled one) with ids and X12 identities nobody else uses,
so their data in the shared PostgreSQL test database is theirs alone. A's file declares two API
clients: `<a>-portal` (client_secret_basic) and `<a>-erp` (private_key_jwt, with the PUBLIC half of
`key`, whose private half the test signs assertions with); B's declares `<b>-portal`.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from joserfc.jwk import ECKey


@dataclass(frozen=True)
class Tenants:
    a: str
    b: str
    disabled: str
    a_key: ECKey  # the private key of A's private_key_jwt client
    a_isa: str  # A's ISA06 (and GS02)
    b_isa: str

    @property
    def a_portal(self) -> str:
        return f"{self.a}-portal"

    @property
    def a_erp(self) -> str:
        return f"{self.a}-erp"

    @property
    def b_portal(self) -> str:
        return f"{self.b}-portal"

    @property
    def disabled_portal(self) -> str:
        return f"{self.disabled}-portal"


def partner_file(partner_id: str, isa_id: str, *, clients: list[dict[str, Any]], enabled: bool = True) -> str:
    spec = {
        "id": partner_id,
        "name": f"Tenant {partner_id}",
        "enabled": enabled,
        "x12": {"isa_qualifier": "ZZ", "isa_id": isa_id, "gs_id": isa_id},
        "tolerances": {"quantity_pct": 0, "price_pct": 0, "days_early": 0, "days_late": 0},
        "api": {"clients": clients},
    }
    return yaml.safe_dump(spec, sort_keys=False)


def write_tenants(directory: Path, repo_partners: Path) -> Tenants:
    """Copy the repository's partner files into `directory` and add the test's own partners. The
    copies' secret references (`file:../samples/secrets/...`) resolve through a link to the
    repository's samples beside the copy."""
    shutil.copytree(repo_partners, directory, dirs_exist_ok=True)
    samples = directory.parent / "samples"
    if not samples.exists():
        samples.symlink_to(repo_partners.parent / "samples", target_is_directory=True)
    token = uuid.uuid4().hex[:10]
    key = ECKey.generate_key("P-256", private=True)
    tenants = Tenants(
        a=f"ta-{token}",
        b=f"tb-{token}",
        disabled=f"td-{token}",
        a_key=key,
        a_isa=f"A{token}".upper(),
        b_isa=f"B{token}".upper(),
    )
    public = {**key.as_dict(private=False), "kid": "a-1"}
    files = {
        tenants.a: partner_file(
            tenants.a,
            tenants.a_isa,
            clients=[
                {"client_id": tenants.a_portal},
                {"client_id": tenants.a_erp, "auth_method": "private_key_jwt", "jwks": [public]},
            ],
        ),
        tenants.b: partner_file(tenants.b, tenants.b_isa, clients=[{"client_id": tenants.b_portal}]),
        tenants.disabled: partner_file(
            tenants.disabled,
            f"D{token}".upper(),
            clients=[{"client_id": tenants.disabled_portal}],
            enabled=False,
        ),
    }
    for partner_id, text in files.items():
        (directory / f"{partner_id}.yaml").write_text(text, encoding="utf-8")
    return tenants
