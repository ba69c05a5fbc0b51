"""Corrective-action queries: the decisions taken on a partner or in a review, newest first."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from backend.api.errors import parse_query_id, query_refusals
from backend.api.insight_actions.types import CorrectiveAction, CorrectiveActionKind, CorrectiveActionStatus
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.insights.actions.services import records
from backend.insights.actions.views import ActionView


@strawberry.input(description="Which corrective actions: every filter given must hold.")
class CorrectiveActionFilterInput:
    partner_id: strawberry.ID | None = None
    review_id: strawberry.ID | None = None
    kind: CorrectiveActionKind | None = None
    status: CorrectiveActionStatus | None = None


@strawberry.type
class CorrectiveActionQueries:
    @strawberry.field(
        extensions=requires(Permission.REPORTS_READ),
        description="Corrective actions, newest first: a partner's, a review's (its decisions), or the pending replacements.",
    )
    async def corrective_actions(
        self,
        info: strawberry.Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter_: Annotated[CorrectiveActionFilterInput | None, strawberry.argument(name="filter")] = None,
    ) -> Connection[CorrectiveAction]:
        actor = info.context.actor
        filter_ = filter_ or CorrectiveActionFilterInput()
        wanted = {
            "partner_id": parse_query_id(filter_.partner_id, "partner"),
            "review_id": parse_query_id(filter_.review_id, "review"),
            "kind": filter_.kind.value if filter_.kind else None,
            "status": filter_.status.value if filter_.status else None,
        }

        async def fetch(after_id: uuid.UUID | None, limit: int) -> list[ActionView]:
            with query_refusals():
                return await records.list_actions(actor, **wanted, before_id=after_id, limit=limit)

        async def count() -> int:
            with query_refusals():
                return await records.count_actions(actor, **wanted)

        return await keyset_connection(
            list_name="correctiveActions",
            first=first,
            after=after,
            fetch=fetch,
            count=count,
            key=lambda view: view.id,
            node=CorrectiveAction.from_view,
        )
