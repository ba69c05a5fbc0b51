"""Mutation inputs built by ``backend.api.inputs`` are the inputs Strawberry's own conversion builds.

Each value goes through graphql-core's coercion first, as a request's variables do, so the builder
sees what it sees in production: parsed scalars, enum members, nested dicts, lists, explicit nulls.
"""

from __future__ import annotations

import pytest
import strawberry
from graphql import Undefined, coerce_input_value
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryObjectDefinition, get_object_definition

from backend.api.inputs import _InputBuilder, build_inputs_once
from backend.api.schema import build_schema

SCHEMA = build_schema()
PROGRAMME = "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d"

CASES = [
    (
        "ReservePointsInput",
        {"programmeId": PROGRAMME, "recipientExternalId": "e-1", "amount": 10, "source": "MARKETPLACE", "idempotencyKey": "k-1"},
    ),
    (
        "ReservePointsInput",
        {
            "programmeId": PROGRAMME,
            "recipientId": PROGRAMME,
            "amount": 1,
            "source": "LOYALTY_PLATFORM",
            "idempotencyKey": "k-2",
            "reference": "basket 9",
            "reason": None,
            "timeoutSeconds": 60,
        },
    ),
    ("ConfirmReservationInput", {"reservationId": PROGRAMME, "idempotencyKey": "k-3"}),
    ("ConfirmReservationInput", {"reservationId": PROGRAMME, "idempotencyKey": "k-4", "amount": 5, "reference": None}),
    ("PointsTransactionFilterInput", {"source": "MARKETPLACE", "kind": "REDEEM", "since": "2026-11-01T00:00:00+00:00"}),
    ("PointsTransactionFilterInput", {}),
    (
        "CreatePartnerInput",
        {
            "name": "Ace",
            "source": "NETWORK",
            "category": "dining",
            "countries": ["IN", "AE"],
            "rewardTypes": ["GIFT_CARD"],
            "contacts": [{"name": "Ana", "email": "ana@example.com"}, {"name": "Bo", "role": "ops"}],
        },
    ),
    (
        "CreateOfferInput",
        {
            "partnerId": PROGRAMME,
            "title": "₹500 voucher",
            "country": "IN",
            "currency": "INR",
            "category": "dining",
            "denominationRange": {"minimum": 100, "maximum": 1000, "step": 100},
            "expiryDate": "2027-01-31",
            "categoryRestrictions": ["alcohol"],
            "lowStockThreshold": 5,
        },
    ),
    (
        "CreateOfferInput",
        {
            "partnerId": PROGRAMME,
            "title": "Flat",
            "country": "IN",
            "currency": "INR",
            "category": "dining",
            "denominations": [500, 1000],
            "denominationRange": None,
        },
    ),
]


def _definition(name: str) -> StrawberryObjectDefinition:
    return SCHEMA.schema_converter.type_map[name].definition


def _strawberry_way(name: str, value: dict):
    """What Strawberry builds without the hook (the builder is taken off while it runs)."""
    definition = _definition(name)
    builder, definition.from_input = definition.from_input, None
    try:
        return convert_argument(value, definition.origin, SCHEMA.schema_converter.scalar_registry, SCHEMA.config)
    finally:
        definition.from_input = builder


def test_every_input_type_is_built_once_per_type():
    inputs = [
        concrete.definition
        for concrete in SCHEMA.schema_converter.type_map.values()
        if isinstance(concrete.definition, StrawberryObjectDefinition) and concrete.definition.is_input
    ]
    assert len(inputs) > 20
    assert all(isinstance(definition.from_input, _InputBuilder) for definition in inputs)


@pytest.mark.parametrize(("name", "raw"), CASES, ids=[f"{name}-{index}" for index, (name, _) in enumerate(CASES)])
def test_an_input_is_what_strawberry_builds(name, raw):
    value = coerce_input_value(raw, SCHEMA._schema.get_type(name))
    assert value is not Undefined, "the case is not a valid value of its type"
    built = convert_argument(value, _definition(name).origin, SCHEMA.schema_converter.scalar_registry, SCHEMA.config)
    expected = _strawberry_way(name, value)
    assert type(built) is type(expected)
    assert built == expected
    assert vars(built) == vars(expected)  # field by field, nested inputs included


@strawberry.input
class _Probe:
    note: str | None  # nullable without a default: omitted, it is None
    count: int


@strawberry.type
class _ProbeQuery:
    @strawberry.field
    def probe(self, probe: _Probe) -> str:
        return f"{probe.note!r} {probe.count}"


def test_a_nullable_field_without_a_default_is_none_when_omitted():
    schema = strawberry.Schema(query=_ProbeQuery)
    build_inputs_once(schema)
    assert isinstance(get_object_definition(_Probe).from_input, _InputBuilder)
    result = schema.execute_sync("query($p: Probe!) { probe(probe: $p) }", variable_values={"p": {"count": 2}})
    assert result.errors is None and result.data == {"probe": "None 2"}
    result = schema.execute_sync("query($p: Probe!) { probe(probe: $p) }", variable_values={"p": {"count": 3, "note": "hi"}})
    assert result.data == {"probe": "'hi' 3"}
