"""Refusal codes read as words in the console (the codes stay in the API and in exports)."""

from __future__ import annotations

from backend.rewards.services.issuance import RejectionCode
from ui.pages.rewards.words import refusal_words


def test_every_issuance_refusal_has_words() -> None:
    api_only = {RejectionCode.IDEMPOTENCY_CONFLICT, RejectionCode.IDEMPOTENCY_KEY_INVALID}
    for code in set(RejectionCode) - api_only:
        words = refusal_words(code.value)
        assert words != code.value and "_" not in words and not words.isupper(), code
    assert refusal_words("OUT_OF_STOCK") == "Out of stock"
    assert refusal_words("SOMETHING_NEW") == "Something new"  # a code added later still reads as words
