"""The claim link of a delivery: ``{MIRABELLE_PUBLIC_URL}/claim/{token}``.

The token is a keyed digest of the delivery id under the process secret: unguessable without the
secret, and the same whenever the message is rendered again (a retry, a resend), so it never needs
storing. What is stored is its sha256, by which the claim page finds the delivery.
After a rotation of the secret key a re-rendered message carries a new token: re-store its hash then."""

from __future__ import annotations

import hashlib
import uuid

from backend.core.keyed_digest import keyed_digest
from backend.core.settings import get_settings

PURPOSE = "delivery claim link"


def claim_token(delivery_id: uuid.UUID) -> str:
    return keyed_digest(str(delivery_id), PURPOSE)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def claim_url(token: str) -> str:
    return f"{get_settings().public_url}/claim/{token}"
