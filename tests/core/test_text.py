"""The one rule for stored text (backend/core/text.py)."""

from __future__ import annotations

import pytest

from backend.core.errors import DomainError
from backend.core.text import SHOWN, check_text, json_text_error, shown, text_error


def test_single_line_text_holds_no_control_character():
    for text in ("a\x00b", "a\tb", "a\nb", "a\rb", "a\x1fb", "a\ud800b"):
        error = text_error("full_name", text)
        assert error is not None and (error.field, error.code) == ("full_name", "INVALID_CHARACTERS"), text
    assert "U+0009" in text_error("full_name", "a\tb").message


def test_multi_line_text_holds_tab_and_line_breaks_only():
    assert text_error("note", "line 1\r\nline\t2", multiline=True) is None
    assert text_error("note", "a\x00b", multiline=True).code == "INVALID_CHARACTERS"


def test_a_text_longer_than_its_column_is_too_long():
    assert text_error("full_name", "A" * 200, 200) is None
    error = text_error("full_name", "A" * 201, 200)
    assert (error.code, error.message) == ("TOO_LONG", "full name is at most 200 characters (got 201)")
    with pytest.raises(DomainError, match="TOO_LONG"):
        check_text("full_name", "A" * 201, 200)


def test_json_keys_and_texts_are_checked_at_any_depth():
    assert json_text_error("hr", {"a": ["x", {"b": "line\nbreak"}]}) is None
    assert json_text_error("hr", {"a": ["x", {"b": "nul\x00"}]}).code == "INVALID_CHARACTERS"
    assert json_text_error("hr", {"k\x00": 1}).code == "INVALID_CHARACTERS"


def test_values_other_rules_judge_pass_through():
    assert text_error("amount", 5) is None and text_error("name", None) is None


def test_a_message_repeats_a_short_value_whole_and_a_huge_one_by_its_start_and_length():
    assert shown("EMP-1") == "EMP-1"
    assert shown("x" * SHOWN) == "x" * SHOWN
    assert shown("y" * 10_000) == "y" * SHOWN + "… (10,000 characters)"
