"""Secrets at rest (voucher codes, provider credentials, webhook secrets): AES-256-GCM.

A ciphertext names the key that sealed it (``v1:<key id>:<base64 nonce‖ciphertext>``), so keys can
rotate: new data is sealed with the current key, and old data still opens with a previous one
(``MIRABELLE_PREVIOUS_SECRET_KEYS``) until it is re-sealed.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.core.settings import get_settings

_VERSION = "v1"


class DecryptionFailed(Exception):
    """The ciphertext is corrupt, was tampered with, or its key is unknown here."""


def _data_key(secret: str) -> bytes:
    # A data key derived from the process secret, separate from what signs console sessions.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mirabelle data encryption v1").derive(secret.encode())


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class SecretBox:
    def __init__(self, current_secret: str, previous_secrets: list[str] | tuple[str, ...] = ()):
        self.current = _data_key(current_secret)
        self.current_id = _key_id(self.current)
        self.keys = {_key_id(key): key for key in map(_data_key, previous_secrets)} | {self.current_id: self.current}

    def seal(self, plaintext: str, context: str = "") -> str:
        """``context`` (e.g. the owning row's id) is authenticated: a ciphertext copied to another row won't open."""
        nonce = os.urandom(12)
        sealed = AESGCM(self.current).encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_VERSION}:{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, token: str, context: str = "") -> str:
        try:
            version, key_id, payload = token.split(":", 2)
            key = self.keys[key_id]
            raw = base64.b64decode(payload, validate=True)
            if version != _VERSION:
                raise ValueError(version)
            return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
        except Exception as error:  # any failure reads the same to a caller: this secret is unreadable
            raise DecryptionFailed(
                f"cannot decrypt a secret sealed with key {token.split(':')[1] if token.count(':') >= 2 else '?'}"
            ) from error

    def needs_resealing(self, token: str) -> bool:
        return token.split(":", 2)[1] != self.current_id


@lru_cache(maxsize=1)
def secret_box() -> SecretBox:
    settings = get_settings()
    return SecretBox(settings.effective_secret_key(), settings.previous_secret_keys)


def mask(secret: str, visible: int = 4) -> str:
    """What the console shows: the last few characters only."""
    return "•" * 8 + secret[-visible:] if len(secret) > visible else "•" * 8
