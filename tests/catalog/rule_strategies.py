"""Hypothesis strategies for eligibility rules and the recipients they are judged against."""

from __future__ import annotations

from hypothesis import strategies as st

from backend.catalog.eligibility import And, Comparison, Literal, Membership, Not, Or
from backend.catalog.eligibility.syntax import BOOLEAN, NUMBER, OPERATORS, ORDERING, TEXT

# A few attributes, so rules and recipients meet often; "country" is a recipient column.
ATTRIBUTES = ["grade", "department", "tenure", "is_manager", "country", "source_system"]
WORDS = ["Sales", "IN", "DE", "sales", "R&D", "", "in", "true", "a b", 'quo"te', "back\\slash", "Ünïcode"]

numbers = st.integers(min_value=-20, max_value=20) | st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1)
# PostgreSQL text cannot hold NUL, and JSON text never holds lone surrogates.
texts = st.sampled_from(WORDS) | st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8)
literal_of = {
    NUMBER: numbers.map(lambda value: Literal(NUMBER, value)),
    TEXT: texts.map(lambda value: Literal(TEXT, value)),
    BOOLEAN: st.booleans().map(lambda value: Literal(BOOLEAN, value)),
}
literals = st.one_of(*literal_of.values())


def conditions(attributes: st.SearchStrategy[str]) -> st.SearchStrategy:
    ordering = st.builds(Comparison, attributes, st.sampled_from(ORDERING), literal_of[NUMBER])
    equality = st.builds(Comparison, attributes, st.sampled_from([op for op in OPERATORS if op not in ORDERING]), literals)
    membership = st.sampled_from([NUMBER, TEXT, BOOLEAN]).flatmap(
        lambda kind: st.builds(
            Membership, attributes, st.lists(literal_of[kind], min_size=1, max_size=4).map(tuple), st.booleans()
        )
    )
    return ordering | equality | membership


def rules(attributes: st.SearchStrategy[str] | None = None, max_leaves: int = 8) -> st.SearchStrategy:
    return st.recursive(
        conditions(st.sampled_from(ATTRIBUTES) if attributes is None else attributes),
        lambda children: st.builds(Not, children) | st.builds(And, children, children) | st.builds(Or, children, children),
        max_leaves=max_leaves,
    )


hr_values = st.none() | st.integers(-25, 25) | st.booleans() | texts
hr_attributes = st.dictionaries(st.sampled_from(ATTRIBUTES), hr_values, max_size=5).map(
    lambda attributes: {key: value for key, value in attributes.items() if value is not None}
)
countries = st.none() | st.sampled_from(["IN", "DE", "US"])
source_systems = st.sampled_from(["manual", "workday"])
# (hr_attributes, country, source_system) of one recipient
recipients = st.tuples(hr_attributes, countries, source_systems)
