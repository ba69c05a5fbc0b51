"""What every HTTP provider shares: one bounded POST, and the classes of failure that do not depend
on the provider's own error codes (a timeout, a connection error, a 5xx, a 408 and a 429 with its
Retry-After are transient). Each provider reads its own refusals (4xx) in its own words."""

from __future__ import annotations

import asyncio
import time
from email.utils import parsedate_to_datetime

import httpx

from backend.core.http_client import shared_client
from backend.deliveries.providers import Outcome, transient

USER_AGENT = "Mirabelle-Deliveries/1"


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds, or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


async def post(url: str, timeout_seconds: float, **request) -> httpx.Response | Outcome:
    """The provider's answer, or the transient Outcome of not getting one in time."""
    request.setdefault("headers", {}).setdefault("User-Agent", USER_AGENT)
    try:
        # httpx's timeout applies to each read; this one bounds the whole exchange.
        async with asyncio.timeout(timeout_seconds):
            return await shared_client().post(url, timeout=timeout_seconds, **request)
    except (TimeoutError, httpx.TimeoutException):
        return transient("TIMEOUT", f"the provider did not answer within {timeout_seconds:g} s")
    except httpx.HTTPError as error:
        return transient("CONNECTION", f"cannot reach the provider: {type(error).__name__}: {error}".rstrip(": "))


def transient_status(response: httpx.Response) -> Outcome | None:
    """The transient Outcome of a 429, 408 or 5xx answer; None for any other status."""
    status = response.status_code
    if status == 429:
        wait = retry_after_seconds(response.headers.get("retry-after"))
        after = f", retry after {wait:g} s" if wait is not None else ""
        return transient("RATE_LIMITED", f"the provider is rate limiting us (429{after})", retry_after=wait)
    if status >= 500 or status == 408:
        return transient(f"HTTP_{status}", f"the provider failed ({status}): {response.text[:300].strip()}")
    return None


def json_object(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
