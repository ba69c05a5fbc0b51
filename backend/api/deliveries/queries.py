"""Deliveries, read by integrators (scope deliveries:read): the list, failed first, and one delivery."""

from __future__ import annotations

from typing import Annotated

import strawberry

from backend.api.deliveries.loaders import deliveries_by_id
from backend.api.deliveries.types import Delivery, DeliveryFilterInput
from backend.api.errors import parse_query_id, query_refusals
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.deliveries.services import listing
from backend.deliveries.services.listing import DeliveryFilter, DeliveryKey


@strawberry.type
class DeliveryQueries:
    @strawberry.field(
        extensions=requires(Permission.DELIVERIES_READ),
        description="Deliveries, failed first, then newest, optionally filtered.",
    )
    async def deliveries(
        self,
        info: strawberry.Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter_: Annotated[DeliveryFilterInput | None, strawberry.argument(name="filter")] = None,
    ) -> Connection[Delivery]:
        actor = info.context.actor
        delivery_filter = filter_.to_domain() if filter_ else DeliveryFilter()
        with query_refusals():
            delivery_filter = listing.check_filter(delivery_filter)
        return await keyset_connection(
            list_name="deliveries",
            first=first,
            after=after,
            fetch=lambda key, limit: listing.deliveries_after(actor, delivery_filter, key, limit),
            key=listing.delivery_key,
            node=Delivery.from_view,
            count=lambda: listing.count_deliveries(actor, delivery_filter),
            parse_key=DeliveryKey.parse,
        )

    @strawberry.field(extensions=requires(Permission.DELIVERIES_READ), description="One delivery; null if none.")
    async def delivery(self, info: strawberry.Info, id: strawberry.ID) -> Delivery | None:
        view = await info.context.loader(deliveries_by_id).load(parse_query_id(id, "delivery"))
        return Delivery.from_view(view) if view else None
