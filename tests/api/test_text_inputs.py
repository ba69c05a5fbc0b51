"""Every text the API takes, in every query and mutation, with a NUL in it: the answer names that
field with INVALID_CHARACTERS (a payload error for a mutation, a BAD_USER_INPUT for a query), never
a server error, and nothing is written. The cases come from the schema itself, so a text field
added later is swept too.

Each case fills the operation's other required arguments with plain values (a fresh id, "x", 1,
the first enum value), so the NUL is the only thing wrong that a service reads before it looks
anything up."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
)

from backend.api.errors import UNEXPECTED_MESSAGE
from backend.api.schema import build_schema
from backend.core.tables import AuditEvent

SCHEMA = build_schema()._schema
NUL_TEXT = "before\x00after"
# A file comes only as a multipart request; these operations are the uploads' own (issue 15, uploads).
NEEDS_A_FILE = {"importVoucherCodes", "uploadRewardFile"}
# Texts never stored nor sent to the database, only matched in memory (a cursor is decoded, a
# checklist item and a mapping are matched against fixed lists): any refusal will do.
MATCHED_IN_MEMORY = {"after", "item", "mapping"}
# A NUL in a key is refused by the idempotency rule (1 to 200 printable characters), naming it.
OWN_CODES = {"idempotencyKey": "IDEMPOTENCY_KEY_INVALID"}
# Go-live is done by named people, never by a key: refused before any text is read (the partners
# service tests cover the note for a person).
PEOPLE_ONLY = {"requestGoLive", "approveGoLive"}
# A sync's rows are judged one by one (tests/recipients/test_text_rules.py covers a NUL in a row).
ROW_BY_ROW = {("syncRecipients", "input.rows")}
# "Give exactly one of": the first is given, unless the NUL goes to the second.
ONE_OF = {"recipientExternalId": "recipientId", "reservationId": "transferId"}
PLAIN_VALUES = {"ID": lambda: str(uuid.uuid4()), "Int": lambda: 1, "Boolean": lambda: True, "Float": lambda: 1.0}
SCALAR_VALUES = {
    "Points": 1,
    "MinorUnits": 100,
    "Date": "2030-01-31",
    "DateTime": "2030-01-31T00:00:00+00:00",
    "Decimal": "1",
    "JSON": {},
}


@dataclass(frozen=True)
class Case:
    operation: str  # "query" or "mutation"
    field: str
    path: tuple[str, ...]  # argument, then input fields; a list is entered at its first item

    @property
    def id(self) -> str:
        return f"{self.field}:{'.'.join(self.path)}"


def _text_paths(type_: GraphQLInputType, path: tuple[str, ...], seen: frozenset[str]) -> Iterator[tuple[str, ...]]:
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType) and named.name in ("String", "JSON"):
        yield path
    elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        for name, field in named.fields.items():
            yield from _text_paths(field.type, (*path, name), seen | {named.name})


def _cases() -> list[Case]:
    cases = []
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        for name, field in root.fields.items():
            if name in NEEDS_A_FILE:
                continue
            for argument, definition in field.args.items():
                cases += [Case(operation, name, path) for path in _text_paths(definition.type, (argument,), frozenset())]
    return [case for case in cases if (case.field, ".".join(case.path)) not in ROW_BY_ROW]


def _plain(type_: GraphQLInputType, path: tuple[str, ...], target: tuple[str, ...]) -> object:
    """A plain value of ``type_`` at ``path``, with the NUL text where ``path`` is ``target``."""
    if path == target:
        named = get_named_type(type_)
        value = {"note": NUL_TEXT, NUL_TEXT: "x"} if named.name == "JSON" else NUL_TEXT
        return [value] if isinstance(_unwrapped(type_), GraphQLList) else value
    inner = _unwrapped(type_)
    if isinstance(inner, GraphQLList):
        return [_plain(inner.of_type, path, target)]
    if isinstance(inner, GraphQLInputObjectType):
        value = {}
        for name, field in inner.fields.items():
            sub = (*path, name)
            if sub == target[: len(sub)] or isinstance(field.type, GraphQLNonNull):
                value[name] = _plain(field.type, sub, target)
        for second, first in ONE_OF.items():
            if first in inner.fields and second not in value:
                value[first] = _plain(inner.fields[first].type, (*path, first), target)
        if inner.name == "SyncRecipientsInput" and "rows" not in value:
            value["rows"] = [{}]
        return value
    if isinstance(inner, GraphQLEnumType):
        return next(iter(inner.values))
    if inner.name in PLAIN_VALUES:
        return PLAIN_VALUES[inner.name]()
    return SCALAR_VALUES.get(inner.name, "x")


def _unwrapped(type_: GraphQLInputType) -> GraphQLInputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _request(case: Case) -> tuple[str, dict]:
    root = SCHEMA.query_type if case.operation == "query" else SCHEMA.mutation_type
    field: GraphQLField = root.fields[case.field]
    variables, declared, passed = {}, [], []
    for name, argument in field.args.items():
        if name == case.path[0] or isinstance(argument.type, GraphQLNonNull):
            variables[name] = _plain(argument.type, (name,), case.path)
            declared.append(f"${name}: {argument.type}")
            passed.append(f"{name}: ${name}")
    selection = "{ __typename }"
    returned = get_named_type(field.type)
    if case.operation == "mutation":
        selection = "{ errors { field message code } }"
        if "results" in returned.fields:  # a batch: each item has its own errors
            selection = "{ errors { field message code } results { errors { field message code } } }"
    elif "edges" in getattr(returned, "fields", {}):
        selection = "{ edges { cursor } }"
    text = f"{case.operation} ({', '.join(declared)}) {{ {case.field}({', '.join(passed)}) {selection} }}"
    return text, variables


CASES = _cases()


async def test_a_nul_in_any_text_is_refused_naming_its_field(api, key):
    """One api for every case (a case takes milliseconds; an api per case took seconds)."""
    problems = []
    for case in CASES:
        query, variables = _request(case)
        audited = await AuditEvent.count()
        response = await api.post(query, variables, key=key)
        try:
            _check_refusal(case, response)
            assert await AuditEvent.count() == audited, "something was written"
        except AssertionError as problem:
            problems.append(f"{case.id}: {problem}")
    assert not problems, "\n".join(problems)
    assert len(CASES) > 80  # the sweep found the schema's texts


def _check_refusal(case: Case, response) -> None:
    assert response.status_code == 200, response.text
    assert UNEXPECTED_MESSAGE not in response.text, response.text[:300]
    body = response.json()
    errors = body.get("errors") or []
    if case.operation == "mutation" and body.get("data"):
        payload = body["data"][case.field]
        errors = payload["errors"] + [error for result in payload.get("results", []) for error in result["errors"]]
    assert errors, f"accepted: {response.text[:300]}"
    field = case.path[-1]
    if field in MATCHED_IN_MEMORY or case.field in PEOPLE_ONLY:
        return
    if field in OWN_CODES:
        assert [error["code"] for error in errors] == [OWN_CODES[field]], errors
        return
    if case.operation == "mutation":  # a typed error naming the input field
        assert [error["code"] for error in errors] == ["INVALID_CHARACTERS"], errors
        assert errors[0]["field"].endswith(field), errors  # e.g. contacts[0].email
    else:  # BAD_USER_INPUT, its message naming the argument or filter field
        assert [error["extensions"]["code"] for error in errors] == ["BAD_USER_INPUT"], errors
        assert _spoken(field) in errors[0]["message"] and "U+0000" in errors[0]["message"], errors


def _spoken(field: str) -> str:
    """``recipientExternalId`` as a message says it: "recipient external id"."""
    return "".join(f" {char.lower()}" if char.isupper() else char for char in field)
