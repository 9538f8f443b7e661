"""Who is who in AS2: our identity from the settings (its key a secret reference, resolved when
needed), and each partner's AS2 profile from its partner file (its certificate beside the file)."""

from __future__ import annotations

from pathlib import Path

from gateway.channels import as2 as channel
from gateway.errors import GatewayError, PartnerConfigError
from gateway.partners import secrets
from gateway.partners.model import PartnerConfig
from gateway.settings import Settings


class AS2NotConfiguredError(GatewayError):
    """Our AS2 identity (key, certificate) is not set up, or cannot be loaded."""

    status = 503
    type = "/problems/as2-not-configured"
    title = "AS2 is not configured"


class AS2UnavailableError(GatewayError):
    """The message could not be stored (the database cannot be reached): nothing was acknowledged,
    so the partner's resend will be received."""

    status = 503
    type = "/problems/as2-unavailable"
    title = "AS2 intake unavailable"


class AS2RequestError(GatewayError):
    """The POST is not an AS2 message (no AS2-From, AS2-To or Message-ID)."""

    status = 400
    type = "/problems/as2-invalid"
    title = "Not an AS2 message"


def identity(settings: Settings) -> channel.Identity:
    """Our identity with its key resolved (raises `AS2NotConfiguredError`)."""
    cfg = settings.as2
    if cfg.key is None:
        raise AS2NotConfiguredError("set GATEWAY_AS2__KEY (env:NAME or file:PATH) to receive and send AS2")
    base = Path.cwd()
    try:
        key = secrets.resolve(cfg.key, base_dir=base).get_secret_value().encode("utf-8")
        password = (
            secrets.resolve(cfg.key_password, base_dir=base).get_secret_value() if cfg.key_password else None
        )
        if cfg.certificate is not None:
            key = key.rstrip(b"\r\n") + b"\n" + cfg.certificate.read_bytes()
    except (PartnerConfigError, OSError) as exc:
        raise AS2NotConfiguredError(f"our AS2 key: {exc}") from None
    return channel.Identity(
        as2_id=cfg.as2_id, key=key, key_password=password, domain=cfg.domain, mdn_url=cfg.mdn_url
    )


def profile(partners_dir: Path, partner: PartnerConfig) -> channel.Profile:
    """The partner's AS2 profile (raises `PartnerConfigError` when it has none or a file is missing)."""
    as2 = partner.channels.as2
    if as2 is None:
        raise PartnerConfigError(f"partner {partner.id} has no AS2 settings", partner_id=partner.id)
    try:
        certificate = (partners_dir / as2.certificate).read_bytes()
        ca = (partners_dir / as2.ca_certificate).read_bytes() if as2.ca_certificate else None
    except OSError as exc:
        raise PartnerConfigError(
            f"partner {partner.id}: AS2 certificate: {exc}", partner_id=partner.id
        ) from None
    return channel.Profile(
        as2_id=as2.as2_id,
        certificate=certificate,
        ca_certificate=ca,
        encryption=as2.encryption,
        signature=as2.signature,
        compress=as2.compress,
        mdn_mode=as2.mdn_mode,
        mdn_signed=as2.mdn_signed,
        require_signed=as2.require_signed,
        require_encrypted=as2.require_encrypted,
    )
