"""Partners queries: the partner list and one partner with its onboarding."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from backend.api.errors import query_refusals
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.api.partners.ids import entity_id
from backend.api.partners.loaders import partners_by_id
from backend.api.partners.types.profile import Partner, PartnerFilterInput
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.partners.services import profiles
from backend.partners.services.profiles import PartnerFilter
from backend.partners.views import PartnerView


@strawberry.type
class PartnerQueries:
    @strawberry.field(
        extensions=requires(Permission.CATALOG_READ), description="Partners in creation order, optionally filtered."
    )
    async def partners(
        self,
        info: strawberry.Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter_: Annotated[PartnerFilterInput | None, strawberry.argument(name="filter")] = None,
    ) -> Connection[Partner]:
        actor = info.context.actor
        partner_filter = filter_.to_domain() if filter_ else PartnerFilter()

        async def fetch(after_id: uuid.UUID | None, limit: int) -> list[PartnerView]:
            with query_refusals():
                return await profiles.partners_after(actor, partner_filter, after_id, limit)

        async def count() -> int:
            with query_refusals():
                return (await profiles.list_partners(actor, partner_filter, limit=1)).total

        return await keyset_connection(
            list_name="partners",
            first=first,
            after=after,
            fetch=fetch,
            count=count,
            key=lambda view: view.id,
            node=Partner.from_view,
        )

    @strawberry.field(extensions=requires(Permission.CATALOG_READ), description="One partner; null if none.")
    async def partner(self, info: strawberry.Info, id: strawberry.ID) -> Partner | None:
        with query_refusals():
            partner_id = entity_id(id, "partner", "id")
        view = await info.context.loader(partners_by_id).load(partner_id)
        return Partner.from_view(view) if view else None
