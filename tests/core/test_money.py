"""Money in minor units: ISO 4217 exponents, amounts to and from minor units, and how they read."""

from decimal import Decimal

import pytest

from backend.core.errors import DomainError
from backend.core.money import format_money, from_minor, minor_unit_exponent, to_minor


def refusal(call, *args) -> tuple[str | None, str, str]:
    with pytest.raises(DomainError) as caught:
        call(*args)
    [error] = caught.value.errors
    return error.field, error.code, error.message


@pytest.mark.parametrize(("currency", "exponent"), [("INR", 2), ("JPY", 0), ("KWD", 3), ("IQD", 3), ("CLF", 4), ("usd", 2)])
def test_the_exponent_is_iso_4217s(currency, exponent):
    assert minor_unit_exponent(currency) == exponent


def test_an_unknown_currency_or_one_without_minor_units_is_refused_by_name():
    assert refusal(minor_unit_exponent, "ZZZ") == ("currency", "INVALID_CURRENCY", "'ZZZ' is not an ISO 4217 currency code (e.g. INR, EUR, USD)")
    assert refusal(to_minor, "5", "") == ("currency", "REQUIRED", "a currency is required (ISO 4217, e.g. INR, EUR, USD)")
    assert refusal(format_money, 100, "XAU") == ("currency", "INVALID_CURRENCY", "XAU has no minor unit in ISO 4217: amounts cannot be kept in it")


def test_amounts_become_minor_units_in_each_currencys_exponent():
    assert to_minor("500", "INR") == 50_000
    assert to_minor(" 500.25 ", "INR") == 50_025
    assert to_minor(Decimal("500.50"), "INR") == 50_050
    assert to_minor("1500", "JPY") == 1_500
    assert to_minor("1.234", "KWD") == 1_234
    assert to_minor("500.000", "JPY") == 500  # zeros past the exponent change nothing
    assert to_minor("-2.5", "INR") == -250  # the sign is the caller's rule


def test_more_decimals_than_the_currency_has_are_refused():
    assert refusal(to_minor, "500.255", "INR") == ("amount", "AMOUNT_INVALID", "500.255 has more than 2 decimals for INR")
    assert refusal(to_minor, "5.5", "JPY", "budget") == ("budget", "AMOUNT_INVALID", "5.5 has decimals, but JPY has no minor unit")
    assert refusal(to_minor, Decimal("1.2345"), "KWD")[1:] == ("AMOUNT_INVALID", "1.2345 has more than 3 decimals for KWD")


@pytest.mark.parametrize("text", ["abc", "", "1,000", "1e3", "5.", "NaN", "12 3"])
def test_text_that_is_not_a_plain_amount_is_refused(text):
    assert refusal(to_minor, text, "INR") == ("amount", "AMOUNT_INVALID", f"“{text.strip()}” is not an amount (e.g. 500 or 500.25)")


def test_not_a_number_and_floats_are_refused():
    assert refusal(to_minor, Decimal("Infinity"), "INR")[1] == "AMOUNT_INVALID"
    with pytest.raises(TypeError):
        to_minor(5.5, "INR")


@pytest.mark.parametrize(("minor", "currency", "amount", "written"), [
    (50_000, "INR", Decimal("500.00"), "500.00 INR"),
    (123_456_789, "INR", Decimal("1234567.89"), "1,234,567.89 INR"),
    (1_500_000, "JPY", Decimal(1_500_000), "1,500,000 JPY"),
    (1_234, "KWD", Decimal("1.234"), "1.234 KWD"),
    (-250, "eur", Decimal("-2.50"), "-2.50 EUR"),
])
def test_minor_units_read_back_as_amounts_and_money(minor, currency, amount, written):
    assert from_minor(minor, currency) == amount
    assert str(from_minor(minor, currency)) == str(amount)  # with the currency's own number of decimals
    assert format_money(minor, currency) == written
    assert to_minor(from_minor(minor, currency), currency) == minor
    assert to_minor(str(from_minor(minor, currency)), currency) == minor
