"""Building mutation inputs from their GraphQL values, with the work that is the same for every
request done once per input type.

Strawberry converts an input value field by field, and for each field resolves its annotation and
asks what kind of type it is, on every request: 8 % of the api's CPU for a points mutation
(profiled). Its ``from_input`` hook lets an input type build itself; the one here does what
Strawberry's conversion does, with each field's converter chosen the first time the type is
built. A scalar or enum (optional or not) is taken as graphql-core parsed it, as Strawberry does;
any other field (lists, nested inputs, ``Maybe``, a relay ``GlobalID``, which Strawberry decodes)
is converted by Strawberry itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from strawberry import Schema
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryMaybe, StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition

# (GraphQL name, Python name, converter or None when the parsed value is taken as it is)
_Field = tuple[str, str, Callable[[Any, InputContext], Any] | None]


def build_inputs_once(schema: Schema) -> None:
    """Give every input type of ``schema`` that builds the Strawberry way the builder here."""
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        if isinstance(definition, StrawberryObjectDefinition) and definition.is_input and definition.from_input is None:
            definition.from_input = _InputBuilder(definition)


@dataclasses.dataclass(eq=False)
class _InputBuilder:
    definition: StrawberryObjectDefinition
    plan: tuple[tuple[_Field, ...], dict[str, None]] | None = None

    def __call__(self, cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        if self.plan is None:
            self.plan = self._plan(context)
        fields, implicit = self.plan
        # As Strawberry: fields without a default start as None (graphql-core has checked that the
        # required ones are present), then every field the value has is converted.
        kwargs: dict[str, Any] = dict(implicit)
        for graphql_name, python_name, convert in fields:
            if graphql_name in value:
                kwargs[python_name] = value[graphql_name] if convert is None else convert(value[graphql_name], context)
        return cls(**kwargs)

    def _plan(self, context: InputContext) -> tuple[tuple[_Field, ...], dict[str, None]]:
        fields: list[_Field] = []
        for field in self.definition.fields:
            graphql_name = context.config.name_converter.from_field(field)
            type_ = field.resolve_type(type_definition=self.definition)
            taken_as_is = _is_leaf(type_, context) or (
                isinstance(type_, StrawberryOptional)
                and not isinstance(type_, StrawberryMaybe)
                and _is_leaf(type_.of_type, context)
            )
            fields.append((graphql_name, field.python_name, None if taken_as_is else _converter(type_, graphql_name)))
        implicit = {
            field.python_name: None
            for field in self.definition.fields
            if field.default_value is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        }
        return tuple(fields), implicit


def _is_leaf(type_: Any, context: InputContext) -> bool:
    if type_ is GlobalID:  # a scalar Strawberry decodes (none in our schema today)
        return False
    return is_scalar(type_, context.scalar_registry) or isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_)


def _converter(type_: Any, graphql_name: str) -> Callable[[Any, InputContext], Any]:
    return lambda value, context: context.convert(value, type_, graphql_name)
