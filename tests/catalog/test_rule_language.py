"""The rule language on its own: parsing, errors with positions, printing, evaluation."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_strategies import rules

from backend.catalog.eligibility import (
    And,
    Comparison,
    Literal,
    Membership,
    Not,
    Or,
    RuleError,
    canonical,
    evaluate,
    parse,
    recipient_attributes,
    to_text,
)

N = Literal.of


def test_the_examples_parse_to_the_expected_trees():
    assert parse("country in [IN, DE] and grade >= 5") == And(
        Membership("country", (N("IN"), N("DE"))), Comparison("grade", ">=", N(5))
    )
    assert parse('department == "Sales" or not (tenure < 1)') == Or(
        Comparison("department", "==", N("Sales")), Not(Comparison("tenure", "<", N(1)))
    )
    assert parse("a == 1 or b == 2 and c == 3") == Or(
        Comparison("a", "==", N(1)), And(Comparison("b", "==", N(2)), Comparison("c", "==", N(3)))
    )
    assert parse("x not in [true]  ") == Membership("x", (N(True),), negated=True)
    assert parse("") is None and parse("   ") is None and canonical("\n") == ""


def test_keywords_are_lower_case_so_country_codes_stay_values():
    assert parse("country in [IN, NOT, OR]") == Membership("country", (N("IN"), N("NOT"), N("OR")))
    assert parse("flag == true") != parse('flag == "true"')


@pytest.mark.parametrize(
    "rule, message",
    [
        ("country in [IN, DE", "expected ']' at 18"),
        ("country in [IN DE]", "expected ',' or ']', found 'DE' at 15"),
        ('grade >= "5"', "'>=' compares numbers: expected a whole number, found '\"5\"' at 9"),
        ("grade = 5", "unexpected '=' (use '==' to compare) at 6"),
        ("grade ! 5", "unexpected '!' (use '!=' or 'not') at 6"),
        ("Grade == 5", "attribute names are lower_snake_case (e.g. grade, business_unit), not 'Grade' at 0"),
        ("x in []", "a list needs at least one value at 6"),
        ("x in [1, a]", "a list holds values of one kind: expected number like 1, found 'a' at 9"),
        ("(a == 1", "expected ')' at 7"),
        ("a == 1 b == 2", "expected 'and', 'or' or the end of the rule, found 'b' at 7"),
        ("x == 1.5", "'1.5' is not a whole number at 5"),
        ("x == 3A", "'3A' is not a number; quote text like \"3A\" at 5"),
        ('x == "abc', 'text starting with " is never closed at 5'),
        ('x == "a\\n"', "unknown escape '\\n' in text (use \\\\ or \\\") at 7"),
        ("and", "expected an attribute name, 'not' or '(', found 'and' at 0"),
        ("grade", "expected a comparison (==, !=, <, <=, >, >=, in, not in) after 'grade' at 5"),
        ("grade not 5", "expected 'in' after 'not', found '5' at 10"),
        ("grade == ", "expected a value (a number, text, true or false) at 9"),
        ("x == 1 and", "expected an attribute name, 'not' or '(' at 10"),
        ("x == -", "unexpected '-' (quote text that contains it) at 5"),
        ("x == 1234567890123456", "a number has at most 15 digits at 5"),
        ("x == 1 # comment", "unexpected character '#' at 7"),
    ],
)
def test_errors_name_the_reason_and_the_position(rule, message):
    with pytest.raises(RuleError) as caught:
        parse(rule)
    assert caught.value.errors[0].message == message
    assert caught.value.code == "INVALID_RULE" and caught.value.errors[0].field == "eligibility_rule"
    assert message.endswith(f" at {caught.value.position}")


def test_limits_keep_rules_small():
    with pytest.raises(RuleError, match="at most 50 levels"):
        parse("not " * 51 + "a == 1")
    with pytest.raises(RuleError, match="at most 200 conditions"):
        parse(" or ".join(["a == 1"] * 201))
    with pytest.raises(RuleError, match="at most 4000 characters"):
        parse("a == " + "1" * 4000)


def test_missing_or_mismatched_attributes_make_a_condition_false():
    nobody = {}
    for rule in ("grade >= 5", "grade < 5", "grade != 5", "grade in [5]", "grade not in [5]", 'department == ""'):
        assert not evaluate(parse(rule), nobody), rule
    assert evaluate(parse("not (grade >= 5)"), nobody)
    text_grade = {"grade": "7"}
    assert not evaluate(parse("grade >= 5"), text_grade) and not evaluate(parse("grade != 5"), text_grade)
    assert not evaluate(parse("flag == 1"), {"flag": True}) and not evaluate(parse("flag == true"), {"flag": 1})
    assert evaluate(parse("flag != false"), {"flag": True})


def test_recipient_columns_win_over_hr_keys_of_the_same_name():
    attributes = recipient_attributes({"country": "DE", "grade": 6}, country="IN", source_system=None)
    assert attributes == {"country": "IN", "grade": 6}
    assert recipient_attributes({"country": "DE"}, country=None) == {}  # a column with no value is missing
    assert evaluate(parse("country in [IN] and grade >= 5"), attributes)


@settings(max_examples=200, deadline=None)
@given(
    rules(
        attributes=st.from_regex(r"\A[a-z][a-z0-9_]{0,8}\Z").filter(
            lambda name: name not in {"and", "or", "not", "in", "true", "false"}
        ),
        max_leaves=10,
    )
)
def test_printing_then_parsing_gives_back_the_same_rule(rule):
    printed = to_text(rule)
    assert parse(printed) == rule
    assert canonical(printed) == printed


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab =!<>[](),\"'\\-019 \tinotrueandxyzIN")), max_size=40))
def test_any_text_parses_or_fails_with_a_position_inside_it(text):
    try:
        rule = parse(text)
    except RuleError as error:
        assert 0 <= error.position <= len(text)
    else:
        assert rule is None or parse(to_text(rule)) == rule


@settings(max_examples=100, deadline=None)
@given(
    rules(),
    st.dictionaries(
        st.sampled_from(["grade", "department", "tenure", "is_manager", "country"]),
        st.integers(-3, 3) | st.booleans() | st.sampled_from(["IN", "Sales", ""]),
        max_size=5,
    ),
)
def test_not_negates_and_the_connectives_are_boolean(rule, attributes):
    assert evaluate(Not(rule), attributes) is (not evaluate(rule, attributes))
    assert evaluate(And(rule, Not(rule)), attributes) is False
    assert evaluate(Or(rule, Not(rule)), attributes) is True
