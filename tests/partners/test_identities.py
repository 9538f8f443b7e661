"""Partners by their EDIFACT, cXML, portal and AS2 identities; secret references and their checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gateway.errors import PartnerConfigError
from gateway.partners import secrets
from gateway.partners.model import (
    AS2Settings,
    Channels,
    CxmlSettings,
    EdifactSettings,
    PartnerConfig,
    PortalSettings,
    X12Settings,
)
from gateway.partners.registry import PartnerRegistry, validate_references
from tests.channels.certs import make_key_pair


def edifact_partner(pid: str, unb_id: str, qualifier: str | None = None) -> PartnerConfig:
    return PartnerConfig(id=pid, name=pid, edifact=EdifactSettings(unb_id=unb_id, unb_qualifier=qualifier))


def test_identifies_an_edifact_sender_by_unb_id_and_qualifier_when_ids_are_shared() -> None:
    registry = PartnerRegistry(
        [
            edifact_partner("gln-one", "4012345000009", "14"),
            edifact_partner("zzz-one", "4012345000009", "ZZZ"),
            edifact_partner("plain", "NORDWERK"),
        ]
    )

    assert registry.identify_edifact("4012345000009", "14").id == "gln-one"  # type: ignore[union-attr]
    assert registry.identify_edifact("4012345000009", "ZZZ").id == "zzz-one"  # type: ignore[union-attr]
    assert registry.identify_edifact("4012345000009", None) is None  # ambiguous without a qualifier
    assert registry.identify_edifact("NORDWERK", "ZZ").id == "plain"  # type: ignore[union-attr]
    assert registry.identify_edifact("UNKNOWN", None) is None


def test_identifies_cxml_credentials_with_domain_in_any_case() -> None:
    config = PartnerConfig(
        id="summit",
        name="Summit",
        cxml=CxmlSettings(domain="NetworkID", identity="AN01000000001", shared_secret="env:SUMMIT_SECRET"),
    )
    registry = PartnerRegistry([config])

    assert registry.identify_cxml("NetworkId", "AN01000000001") is config
    assert registry.identify_cxml("NetworkID", "an01000000001") is None


def test_portal_and_as2_identities_are_unique_across_partners() -> None:
    portal = PortalSettings(portal="supplyhub", account="A-1", secrets=("env:HUB",), map="json/portal/x.yaml")
    as2 = AS2Settings(as2_id="THEIRAS2", certificate="their.pem")
    one = PartnerConfig(id="one", name="one", portal=portal, channels=Channels(as2=as2))
    two = PartnerConfig(id="two", name="two", portal=portal, channels=Channels(as2=as2))

    with pytest.raises(PartnerConfigError) as exc:
        PartnerRegistry([one, two])

    fields = {p["field"] for p in exc.value.extensions["problems"]}
    assert fields == {"portal.account", "channels.as2.as2_id"}
    registry = PartnerRegistry([one])
    assert registry.identify_portal("supplyhub", "A-1") is one
    assert registry.portal_partners("supplyhub") == (one,)
    assert registry.identify_as2("THEIRAS2") is one


def test_a_secret_reference_must_be_env_or_file() -> None:
    with pytest.raises(ValueError, match="should match pattern"):
        CxmlSettings(domain="D", identity="I", shared_secret="plain-text-secret")


def test_resolves_env_and_file_secrets_and_names_the_reference_when_missing(tmp_path: Path) -> None:
    (tmp_path / "hub.key").write_text("whsec_abc\n", encoding="utf-8")

    assert secrets.resolve("env:HUB", base_dir=tmp_path, environ={"HUB": "s3"}).get_secret_value() == "s3"
    assert secrets.resolve("file:hub.key", base_dir=tmp_path).get_secret_value() == "whsec_abc"
    with pytest.raises(PartnerConfigError, match="env:HUB: the environment variable HUB is not set"):
        secrets.resolve("env:HUB", base_dir=tmp_path, environ={})
    with pytest.raises(PartnerConfigError, match=r"file:none\.key: cannot read"):
        secrets.resolve("file:none.key", base_dir=tmp_path)


def test_validate_references_checks_certificates_json_maps_and_secrets(tmp_path: Path) -> None:
    maps, partners = tmp_path / "maps", tmp_path / "partners"
    maps.mkdir()
    partners.mkdir()
    config = PartnerConfig(
        id="hub",
        name="hub",
        x12=X12Settings(isa_id="HUB"),
        portal=PortalSettings(portal="supplyhub", account="A", secrets=("env:HUB_KEY",), map="json/hub.yaml"),
        channels=Channels(as2=AS2Settings(as2_id="HUB", certificate="hub.pem")),
    )

    messages = validate_references(PartnerRegistry([config]), maps, partners, environ={})

    assert messages == [
        "hub: portal.map: 'json/hub.yaml' does not exist in maps/",
        "hub: channels.as2.certificate: 'hub.pem' does not exist in partners/",
        "hub: portal.secrets[0]: secret env:HUB_KEY: the environment variable HUB_KEY is not set",
    ]
    (maps / "json").mkdir()
    (maps / "json" / "hub.yaml").write_text("{}", encoding="utf-8")
    (partners / "hub.pem").write_text("cert", encoding="utf-8")
    (problem,) = validate_references(PartnerRegistry([config]), maps, partners, environ={"HUB_KEY": "k"})
    assert problem.startswith("hub: channels.as2.certificate: 'hub.pem' is not a PEM certificate")
    pair = make_key_pair("hub", days=30)
    (partners / "hub.pem").write_bytes(pair.certificate)
    assert validate_references(PartnerRegistry([config]), maps, partners, environ={"HUB_KEY": "k"}) == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
    (expired,) = validate_references(
        PartnerRegistry([config]), maps, partners, environ={"HUB_KEY": "k"}, now=later
    )
    assert expired.startswith("hub: channels.as2.certificate: 'hub.pem' expired on ")
