"""Ids sent by clients, read once for the partners and catalogue APIs. A malformed id is the
same NOT_FOUND a well-formed unknown id gets from the service: a mutation reports it in its
payload on the input field, a query (inside ``query_refusals``) as a GraphQL error."""

from __future__ import annotations

import uuid

import strawberry

from backend.core.errors import NotFound


def entity_id(value: strawberry.ID | str, entity: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(entity, f"'{value}' (not an id)", field=field) from None
