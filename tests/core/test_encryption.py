import pytest

from backend.core.encryption import DecryptionFailed, SecretBox, mask

OLD, NEW = "o" * 40, "n" * 40


def test_round_trip_and_ciphertext_reveals_nothing():
    box = SecretBox(NEW)
    token = box.seal("CODE-1234-5678", context="voucher:1")
    assert "CODE" not in token and box.open(token, context="voucher:1") == "CODE-1234-5678"
    assert box.seal("same") != box.seal("same")  # fresh nonce each time


def test_context_binds_the_ciphertext_to_its_row():
    box = SecretBox(NEW)
    with pytest.raises(DecryptionFailed):
        box.open(box.seal("secret", context="row-1"), context="row-2")


def test_tampering_is_detected():
    box = SecretBox(NEW)
    token = box.seal("secret")
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(DecryptionFailed):
        box.open(flipped)


def test_keys_rotate():
    old_token = SecretBox(OLD).seal("kept")
    rotated = SecretBox(NEW, previous_secrets=[OLD])
    assert rotated.open(old_token) == "kept" and rotated.needs_resealing(old_token)
    assert not rotated.needs_resealing(rotated.seal("new"))
    with pytest.raises(DecryptionFailed, match="cannot decrypt"):
        SecretBox(NEW).open(old_token)


def test_mask():
    assert mask("ABCDEFGH1234") == "••••••••1234"
