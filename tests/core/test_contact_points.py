"""A phone number the library cannot parse is refused in plain words, never in phonenumbers' own text."""

from __future__ import annotations

import pytest

from backend.core.contact_points import contact_points, phone_number
from backend.core.errors import DomainError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("98450 12345", "'98450 12345' has no country code: write it with + and the country code (e.g. +91 98450 12345)"),
        ("call me", "'call me' is not a phone number: it has no digits to dial"),
        ("+91 1", "'+91 1' is too short to be a phone number"),
    ],
)
def test_phone_parse_failures_read_as_plain_words(value: str, expected: str) -> None:
    with pytest.raises(DomainError) as refused:
        phone_number(value)
    message = refused.value.errors[0].message
    assert message.startswith(expected) and "(0)" not in message and "default region" not in message


def test_with_the_country_the_same_number_is_read() -> None:
    assert contact_points("IN", None, "98450 12345").phone == "+919845012345"
