"""Standard Webhooks signatures (https://www.standardwebhooks.com): the sender's side and, for
integrators' documentation and our tests, the receiver's.

The secret is ``whsec_`` + base64 of random bytes; the signed content is
``{webhook-id}.{webhook-timestamp}.{body}``; the ``webhook-signature`` header is a space-separated
list of ``v1,<base64 HMAC-SHA256>`` (more than one while a receiver's secret is changing).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
DEFAULT_TOLERANCE_SECONDS = 5 * 60  # a receiver refuses older (or future) timestamps: no replayed captures


class InvalidSignature(Exception):
    """The request was not signed with this secret, or is too old to trust."""


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from None


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one message."""
    signed_content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed_content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """What a receiver does before trusting a webhook; raises :class:`InvalidSignature`.

    ``body`` must be the raw bytes received, before any JSON parsing."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id, timestamp, signatures = (lowered.get(name) for name in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (message_id and timestamp and signatures):
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise InvalidSignature(f"webhook-timestamp {timestamp!r} is not a Unix time in seconds") from None
    if abs((time.time() if now is None else now) - sent_at) > tolerance_seconds:
        raise InvalidSignature(f"webhook-timestamp {sent_at} is more than {tolerance_seconds} s from now")
    expected = sign(secret, message_id, sent_at, body).encode()
    for candidate in signatures.split():
        version, _, _ = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(candidate.encode(), expected):
            return
    raise InvalidSignature("no v1 signature matches this secret")
