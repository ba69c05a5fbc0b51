"""How the console reads typed amounts: thousands commas only between groups of three digits, a
list of denominations one per line or separated by ';', spaces or a comma and a space."""

from __future__ import annotations

import pytest

from ui.pages.catalog.amounts import major, read_amounts, to_minor, units_hint
from ui.pages.catalog.words import currency_options

AMBIGUOUS = (
    "“{}” is ambiguous: a comma inside an amount separates thousands (1,000); "
    "between amounts put a space after the comma (100, 500)"
)


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("100, 500, 1,000", [10_000, 50_000, 100_000]),
        ("1,000", [100_000]),
        ("100;500", [10_000, 50_000]),
        ("100\n500", [10_000, 50_000]),
        ("100 500\t2500", [10_000, 50_000, 250_000]),
        ("  500 ,\n 1,000.50 ;; 12,500,000 ", [50_000, 100_050, 1_250_000_000]),
        ("500,", [50_000]),
        ("100,500", [10_050_000]),  # no space after the comma: one amount with its thousands
        ("", []),
    ],
)
def test_a_list_of_amounts_is_read_in_the_order_typed(typed, minor):
    assert read_amounts(typed, "INR") == minor


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1,00", AMBIGUOUS.format("1,00")),
        ("500, 1,0000", AMBIGUOUS.format("1,0000")),
        ("100 ,500", AMBIGUOUS.format(",500")),
        ("100,,500", AMBIGUOUS.format("100,,500")),
        ("abc", "“abc” is not an amount (e.g. 500 or 500.25)"),
        ("1 000", "“000” starts with 0: write each amount without spaces inside (1000 or 1,000)"),
        ("500, 1000.505", "1000.505 has more than 2 decimals for INR"),
    ],
)
def test_an_ambiguous_or_unreadable_amount_is_refused_with_its_reason(typed, reason):
    with pytest.raises(ValueError) as caught:
        read_amounts(typed, "INR")
    assert str(caught.value) == reason


def test_every_bad_part_is_named_once():
    with pytest.raises(ValueError) as caught:
        read_amounts("abc; 1,00; 500; abc", "INR")
    assert str(caught.value) == f"“abc” is not an amount (e.g. 500 or 500.25); {AMBIGUOUS.format('1,00')}"


def test_one_amount_takes_thousands_commas_in_the_currencys_decimals():
    assert to_minor("1,000.50", "INR") == 100_050
    assert to_minor("1,500", "JPY") == 1_500
    assert to_minor("0.5", "KWD") == 500
    with pytest.raises(ValueError, match="ambiguous"):
        to_minor("1,00", "INR")
    with pytest.raises(ValueError, match="has decimals, but JPY has no minor unit"):
        to_minor("1.5", "JPY")


def test_minor_units_are_written_back_as_typed():
    assert [major(value, "INR") for value in (50_000, 50_050, 5, None)] == ["500", "500.50", "0.05", ""]
    assert major(1_500, "JPY") == "1500"
    assert read_amounts(", ".join(major(value, "INR") for value in (50_000, 100_000, 100_050)), "INR") == [
        50_000,
        100_000,
        100_050,
    ]


@pytest.mark.parametrize(
    ("currency", "hint"),
    [
        ("INR", "Amounts in INR: 500 is ₹500.00."),
        ("jpy", "Amounts in JPY: 500 is ¥500."),
        ("KWD", "Amounts in KWD: 500 is KWD\u00a0500.000."),
        (None, "Amounts in the currency's units (500 or 500.00)."),
        ("XAU", "Amounts in the currency's units (500 or 500.00)."),
    ],
)
def test_the_hint_under_an_amount_shows_the_currencys_decimals(currency, hint):
    assert units_hint(currency) == hint


def test_the_currency_choices_leave_out_codes_without_minor_units():
    choices = currency_options()
    assert (choices["INR"], choices["JPY"]) == ("INR · Indian Rupee", "JPY · Yen")
    assert not {"XAU", "XAG", "XDR", "XXX"} & choices.keys()
