"""GraphQL types of an offer's terms & conditions: versions, the revision input and payload."""

from __future__ import annotations

from datetime import datetime

import strawberry

from backend.api.catalog.types.errors import CatalogError, catalog_errors
from backend.api.errors import errors_field
from backend.api.graphql_values import optional_id
from backend.catalog.views import (
    TermsVersionView,
)
from backend.core.errors import FieldError


@strawberry.type(description="One version of an offer's terms & conditions. Never edited: a revision adds a version.")
class TermsVersion:
    id: strawberry.ID
    version: int
    body: str
    created_by: str
    created_at: datetime

    @classmethod
    def from_view(cls, view: TermsVersionView) -> TermsVersion:
        return cls(
            id=optional_id(view.id),
            version=view.version,
            body=view.body,
            created_by=view.created_by_label,
            created_at=view.created_at,
        )


@strawberry.input(description="New terms & conditions: a new version, current from now on.")
class ReviseTermsInput:
    offer_id: strawberry.ID
    terms: str


@strawberry.type(
    description="The offer's terms after reviseTerms: the new current version (or the current one, for the same text)."
)
class TermsPayload:
    terms: TermsVersion | None
    errors: list[CatalogError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> TermsPayload:
        return cls(terms=None, errors=catalog_errors(errors))
