"""A keyed hash (HMAC-SHA256) for finding a secret without storing it in clear.

Voucher codes are encrypted with a random nonce, so two encryptions of one code differ: a unique
index over the ciphertext would never see a duplicate. The digest is deterministic under the
process secret, and useless to someone who has the table but not the secret.

When the secret key rotates, digests made under the old key no longer match new ones: re-digest
the stored rows (opening them with the previous key) as part of the rotation.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.core.settings import get_settings


@lru_cache(maxsize=16)
def _digest_key(secret: str, purpose: str) -> bytes:
    # One key per purpose, derived apart from the encryption key and from session signing.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"mirabelle keyed digest v1:{purpose}".encode()).derive(
        secret.encode()
    )


def keyed_digest(value: str, purpose: str) -> str:
    """64 hex characters; equal values under one purpose and one secret give equal digests."""
    key = _digest_key(get_settings().effective_secret_key(), purpose)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
