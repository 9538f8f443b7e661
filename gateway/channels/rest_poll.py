"""Partner REST APIs, pulled: an OAuth 2 client-credentials token from the partner's token endpoint
(authlib's OAuth2Client on httpx2, which fetches a new token itself when the old one expires), then
the partner's confirmations and shipments endpoints page by page, following the cursor each page
names for the next (`?<cursor_param>=...&<limit_param>=<page_size>`), until a page names none (or
the same one again).

The pages come back as they arrived (raw bytes), with the cursor they were asked with and the one
they name: storing and mapping them is the pipeline's business (`pipeline/rest_poll.py`).
`transport=` (an httpx2 transport) replaces the network; the tests use a real loopback server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from gateway.errors import DeliveryError, FormatError
from gateway.formats.tree import from_json, parse_json
from gateway.mapping.tree_paths import parse_path

MAX_PAGE_BYTES = 10 * 1024 * 1024
MAX_PAGES = 1000  # per resource and poll: a partner API that never stops paging is cut off here


class PollError(DeliveryError):
    """The partner API could not be read (token refused, HTTP error, a page that is not JSON)."""

    type = "/problems/partner-api-failed"
    title = "Partner API could not be polled"


@dataclass(frozen=True, slots=True)
class Page:
    resource: str
    url: str
    cursor: str | None  # what the page was asked with (None: the first page)
    next_cursor: str | None  # what it names for the next page
    raw: bytes


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """What the channel needs of the partner's `channels.rest_poll` (secret resolved)."""

    base_url: str
    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None
    page_size: int = 100
    cursor_param: str = "cursor"
    limit_param: str = "limit"
    next_cursor: str = "next_cursor"  # a tree path into the page


class PartnerApi:
    """One partner's API for one poll: a token, then pages. `close()` it."""

    def __init__(
        self, settings: ApiSettings, *, timeout_s: float = 30.0, transport: httpx2.BaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._next = parse_path(settings.next_cursor)
        self._client = OAuth2Client(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            scope=settings.scope,
            token_endpoint=settings.token_url,
            grant_type="client_credentials",
            timeout=timeout_s,
            transport=transport,
            follow_redirects=False,
        )

    def token(self) -> None:
        """Fetch an access token (client credentials); PollError when the partner refuses."""
        try:
            self._client.fetch_token(self.settings.token_url, grant_type="client_credentials")
        except OAuthError as exc:
            raise PollError(f"token from {self.settings.token_url}: {exc.error}", retryable=False) from exc
        except httpx2.HTTPError as exc:
            raise PollError(f"token from {self.settings.token_url}: {exc}", retryable=True) from exc

    def pages(self, resource: str, path: str, cursor: str | None) -> Iterator[Page]:
        """Every page of `resource` from `cursor` on (PollError on the first page that fails)."""
        if not self._client.token:
            self.token()
        url = self.settings.base_url.rstrip("/") + "/" + path.lstrip("/")
        for _ in range(MAX_PAGES):
            params = {self.settings.limit_param: str(self.settings.page_size)}
            if cursor is not None:
                params[self.settings.cursor_param] = cursor
            try:
                response = self._client.get(url, params=params)
            except (httpx2.HTTPError, OAuthError) as exc:
                raise PollError(f"GET {url}: {exc}", retryable=True) from exc
            if response.status_code != 200:
                raise PollError(
                    f"GET {url}: HTTP {response.status_code}", retryable=response.status_code >= 500
                )
            raw = response.content
            if len(raw) > MAX_PAGE_BYTES:
                raise PollError(f"GET {url}: a page over {MAX_PAGE_BYTES} bytes", retryable=False)
            following = self._cursor_in(raw, url)
            yield Page(resource, str(response.url), cursor, following, raw)
            if following is None or following == cursor:
                return
            cursor = following

    def _cursor_in(self, raw: bytes, url: str) -> str | None:
        try:
            root = from_json(parse_json(raw, file_name=url))
        except FormatError as exc:
            raise PollError(f"GET {url}: the page is not JSON ({exc.detail})", retryable=False) from exc
        return next((v for node in self._next.select(root) if (v := node.value())), None)

    def close(self) -> None:
        self._client.close()
