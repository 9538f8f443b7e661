"""The demo's cXML, portal and partner-API samples, sent through the real code paths: the cXML
documents posted as `POST /cxml` receives them (SharedSecret checked), the portal events signed
with the partner's `whsec_` key and delivered as `POST /v1/webhooks/{portal}` receives them, and
the partner API's pages stored as the poller stores the pages it fetches."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from gateway.channels.webhook_out import decode_secret, sign
from gateway.partners import secrets
from gateway.pipeline import cxml_requests, ingest, portal_webhooks, rest_poll
from gateway.pipeline.runtime import Runtime


@dataclass(frozen=True)
class Sent:
    channel: str
    file: str
    receipt_id: str
    answer: str  # the cXML Status, the webhook answer, the page's resource


def send_samples(rt: Runtime, samples: Path) -> list[Sent]:
    out: list[Sent] = []
    for path in sorted((samples / "cxml").glob("*/*.xml"), key=lambda p: (p.parent.name, "ship" in p.name)):
        answer = cxml_requests.receive(rt, path.read_bytes(), remote="demo")
        out.append(
            Sent("POST /cxml", path.name, answer.receipt_id, f"cXML {int(answer.code)} {answer.code.text}")
        )
    for folder in sorted((samples / "portal").glob("*")):
        partner = rt.partners.get(folder.name)
        assert partner.portal is not None
        key = decode_secret(
            secrets.resolve(partner.portal.secrets[0], base_dir=rt.settings.partners_dir).get_secret_value()
        )
        for path in sorted(folder.glob("*.json")):
            body = path.read_bytes()
            message_id = "msg_" + base64.b32encode(path.stem.encode()).decode().rstrip("=").lower()
            stamp = int(rt.clock.now().timestamp())
            headers = {
                "webhook-id": message_id,
                "webhook-timestamp": str(stamp),
                "webhook-signature": sign(key, message_id, stamp, body),
            }
            outcome = portal_webhooks.receive(rt, partner.portal.portal, headers, body)
            out.append(
                Sent(
                    f"POST /v1/webhooks/{partner.portal.portal}",
                    path.name,
                    outcome.receipt_id,
                    outcome.status,
                )
            )
    for folder in sorted((samples / "rest").glob("*")):
        rt.partners.get(folder.name)
        for path in sorted(folder.glob("*.json")):
            resource = path.stem.split("_")[0]
            receipt_id = ingest.receive(
                rt,
                path.read_bytes(),
                channel=rest_poll.CHANNEL,
                file_name=f"{folder.name}/{path.name}",
                partner_id=folder.name,
                transport={"channel": rest_poll.CHANNEL, "resource": resource, "cursor": "", "url": "demo"},
            )
            out.append(Sent("partner API page", path.name, receipt_id, resource))
    return out
