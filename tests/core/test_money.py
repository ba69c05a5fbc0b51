"""Money in minor units: ISO 4217 exponents, amounts to and from minor units, and how they read."""

from decimal import Decimal

import pytest

from backend.core.errors import DomainError
from backend.core.money import currency, format_money, from_minor, has_minor_unit, minor_unit_exponent, nearest_minor, to_minor


def refusal(call, *args) -> tuple[str | None, str, str]:
    with pytest.raises(DomainError) as caught:
        call(*args)
    [error] = caught.value.errors
    return error.field, error.code, error.message


@pytest.mark.parametrize(("currency", "exponent"), [("INR", 2), ("JPY", 0), ("KWD", 3), ("IQD", 3), ("CLF", 4), ("usd", 2)])
def test_the_exponent_is_iso_4217s(currency, exponent):
    assert minor_unit_exponent(currency) == exponent


def test_an_unknown_currency_or_one_without_minor_units_is_refused_by_name():
    assert refusal(minor_unit_exponent, "ZZZ") == (
        "currency",
        "INVALID_CURRENCY",
        "'ZZZ' is not an ISO 4217 currency code (e.g. INR, EUR, USD)",
    )
    assert refusal(to_minor, "5", "") == ("currency", "REQUIRED", "a currency is required (ISO 4217, e.g. INR, EUR, USD)")
    assert refusal(format_money, 100, "XAU") == (
        "currency",
        "INVALID_CURRENCY",
        "XAU has no minor unit in ISO 4217: amounts cannot be kept in it",
    )


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
    assert refusal(to_minor, "5.5", "JPY", "budget") == (
        "budget",
        "AMOUNT_INVALID",
        "5.5 has decimals, but JPY has no minor unit",
    )
    assert refusal(to_minor, Decimal("1.2345"), "KWD")[1:] == ("AMOUNT_INVALID", "1.2345 has more than 3 decimals for KWD")


@pytest.mark.parametrize("text", ["abc", "", "1,000", "1e3", "5.", "NaN", "12 3"])
def test_text_that_is_not_a_plain_amount_is_refused(text):
    assert refusal(to_minor, text, "INR") == (
        "amount",
        "AMOUNT_INVALID",
        f"“{text.strip()}” is not an amount (e.g. 500 or 500.25)",
    )


def test_not_a_number_and_floats_are_refused():
    assert refusal(to_minor, Decimal("Infinity"), "INR")[1] == "AMOUNT_INVALID"
    with pytest.raises(TypeError):
        to_minor(5.5, "INR")


@pytest.mark.parametrize(
    ("minor", "currency", "amount", "written"),
    [
        (50_000, "INR", Decimal("500.00"), "₹500.00"),
        (123_456_789, "INR", Decimal("1234567.89"), "₹1,234,567.89"),
        (1_500_000, "JPY", Decimal(1_500_000), "¥1,500,000"),
        (1_234, "KWD", Decimal("1.234"), "KWD\u00a01.234"),
        (-250, "eur", Decimal("-2.50"), "-€2.50"),
    ],
)
def test_minor_units_read_back_as_amounts_and_money(minor, currency, amount, written):
    assert from_minor(minor, currency) == amount
    assert str(from_minor(minor, currency)) == str(amount)  # with the currency's own number of decimals
    assert format_money(minor, currency) == written
    assert to_minor(from_minor(minor, currency), currency) == minor
    assert to_minor(str(from_minor(minor, currency)), currency) == minor


def test_a_currency_amounts_are_kept_in_is_normalised_and_one_without_minor_units_refused_on_its_field():
    assert (currency(" inr"), currency("jpy"), currency("KWD")) == ("INR", "JPY", "KWD")
    assert refusal(currency, "XAU") == (
        "currency",
        "INVALID_CURRENCY",
        "XAU has no minor unit in ISO 4217: amounts cannot be kept in it",
    )
    assert refusal(currency, "xdr", "offer_currency")[:2] == ("offer_currency", "INVALID_CURRENCY")
    assert refusal(currency, "RUPEES")[1:] == (
        "INVALID_CURRENCY",
        "'RUPEES' is not an ISO 4217 currency code (e.g. INR, EUR, USD)",
    )
    assert refusal(currency, None)[1] == "REQUIRED"
    assert (has_minor_unit("INR"), has_minor_unit("JPY"), has_minor_unit("XAU"), has_minor_unit("XXX")) == (
        True,
        True,
        False,
        False,
    )


@pytest.mark.parametrize(
    ("amount", "currency_code", "minor"),
    [
        (Decimal("212.50"), "INR", 21_250),
        (Decimal("212.505"), "INR", 21_251),  # halves away from zero
        (Decimal("212.504999"), "INR", 21_250),
        (Decimal("212.5"), "JPY", 213),
        (Decimal("0.0625"), "KWD", 63),
        (Decimal("-0.125"), "EUR", -13),
    ],
)
def test_a_computed_amount_goes_to_the_nearest_minor_unit_of_its_currency(amount, currency_code, minor):
    assert nearest_minor(amount, currency_code) == minor


def test_a_computed_amount_must_be_an_exact_finite_decimal():
    assert refusal(nearest_minor, Decimal(1), "XAU")[1] == "INVALID_CURRENCY"
    for bad in (2.5, Decimal("NaN")):
        with pytest.raises(TypeError):
            nearest_minor(bad, "INR")
