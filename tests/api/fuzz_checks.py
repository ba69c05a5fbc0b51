"""Schemathesis hooks for the fuzz runs of ``test_fuzz`` (loaded by its CLI through
SCHEMATHESIS_HOOKS): the checks beside schemathesis's own, and strategies for our custom scalars."""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from backend.api.catalog.types.shared import MAX_MINOR_UNITS
from backend.api.errors import UNEXPECTED_MESSAGE


@schemathesis.check
def no_unexpected_error(ctx, response, case):
    """No answer carries the masked message of an unexpected (server-side) error."""
    if UNEXPECTED_MESSAGE in response.text:
        raise AssertionError(f"a masked unexpected error: {response.text[:500]}")


@schemathesis.check
def refused_without_a_key(ctx, response, case):
    """A request without a key is refused with 401 and carries no data."""
    if response.status_code != 401:
        raise AssertionError(f"answered {response.status_code} without a key: {response.text[:300]}")
    if '"data"' in response.text:
        raise AssertionError(f"a refusal carried data: {response.text[:300]}")


# Amounts in minor units: in range and past it (an out-of-range inline literal such as
# `denominations: [9223372036854775808]` must be a BAD_USER_INPUT naming the field, never a server error).
schemathesis.graphql.scalar(
    "MinorUnits", st.integers(min_value=-4 * MAX_MINOR_UNITS, max_value=4 * MAX_MINOR_UNITS).map(nodes.Int)
)
# Points: any whole number (the scalar takes every integer; the ledger's rules judge the range).
schemathesis.graphql.scalar("Points", st.integers(min_value=-(2**64), max_value=2**64).map(nodes.Int))
# A file comes only as a multipart request: an inline value is a string the scalar must refuse.
schemathesis.graphql.scalar("Upload", st.text(max_size=20).map(nodes.String))
