"""Small builders every domain's GraphQL types share: enums made from a domain's own value lists
(so the schema follows the domain and the drift check says when it moved) and optional ids."""

from __future__ import annotations

import enum

import strawberry


def values_enum(name: str, values: tuple[str, ...], description: str) -> type[enum.Enum]:
    """A GraphQL enum over a domain's lower-case values: CODE_INVALID ↔ "code_invalid"."""
    return strawberry.enum(enum.Enum(name, {value.upper(): value for value in values}), name=name, description=description)


def optional_id(value) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None
