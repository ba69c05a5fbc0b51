"""The claim page's forms (the reveal button, and the ticket page's report, reply and rating), safe
against cross-site requests without cookies or JavaScript: the page has no session to ride on, yet
a reveal is an activation and a report opens a ticket, so each must come from the page.

- a hidden field keyed to the claim token (an HMAC under the process secret), which only a
  rendering of that page carries;
- and the browser's own word on where the POST comes from: ``Sec-Fetch-Site`` when sent (every
  current browser), else ``Origin`` when sent; a cross-site one is refused (OWASP's "verify origin
  with standard headers")."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from litestar import Request

from backend.core.keyed_digest import keyed_digest
from backend.core.settings import get_settings

PURPOSE = "claim reveal form"
FIELD = "form_token"


def form_token(token: str) -> str:
    return keyed_digest(token, PURPOSE)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _same_origin(request: Request) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:  # an older client that sends neither: the form token decides
        return True
    return origin.lower() in (_origin(str(request.base_url)), _origin(get_settings().public_url))


def genuine(request: Request, token: str, submitted: str | None) -> bool:
    """The POST comes from this claim page: same origin, with the page's own form token."""
    return _same_origin(request) and hmac.compare_digest(form_token(token), submitted or "")
