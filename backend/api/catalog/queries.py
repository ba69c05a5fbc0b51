"""Catalogue queries: offers in catalogue order (filtered, or those a recipient qualifies for) and one offer."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from backend.api.catalog.types.offer import Offer, OfferFilterInput
from backend.api.errors import query_refusals
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.api.partners.ids import entity_id
from backend.api.permissions import requires
from backend.catalog.services import eligibility, offer_codes, offer_views, offers
from backend.catalog.views import OfferView
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError, NotFound
from backend.core.text import check_text

CatalogueKey = tuple[int, uuid.UUID]  # (rank, id): the catalogue order
# eligible_offers decides in Python, per offer, over at most this many available offers.
MAX_ELIGIBLE_OFFERS = 1000
VIEWED_IN = "The programme the recipient browses in: with a recipient, the offers returned count as viewed (partner performance)."
VIEWED_BY = "The recipient the offer is shown to (with `programmeId`): counted as a view for partner performance."


def catalogue_key(view: OfferView) -> str:
    return f"{view.rank}:{view.id}"


def parse_catalogue_key(text: str) -> CatalogueKey:
    rank, _, offer_id = text.partition(":")
    return int(rank), uuid.UUID(offer_id)


def _after(views: list[OfferView], after: CatalogueKey | None, limit: int) -> list[OfferView]:
    """A keyset page over a list already in catalogue order."""
    return [view for view in views if after is None or (view.rank, view.id) > after][:limit]


@strawberry.type
class CatalogQueries:
    @strawberry.field(
        extensions=requires(Permission.CATALOG_READ),
        description="Offers in catalogue order (rank), optionally filtered. With `filter.eligibleFor`, only the offers "
        "available now that the recipient qualifies for under each offer's eligibility rule.",
    )
    async def offers(
        self,
        info: strawberry.Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter_: Annotated[OfferFilterInput | None, strawberry.argument(name="filter")] = None,
        programme_id: Annotated[strawberry.ID | None, strawberry.argument(description=VIEWED_IN)] = None,
    ) -> Connection[Offer]:
        actor: Actor = info.context.actor
        filter_ = filter_ or OfferFilterInput()
        with query_refusals():
            partner_id = entity_id(filter_.partner_id, "partner", "partnerId") if filter_.partner_id is not None else None
            recipient_id = (
                entity_id(filter_.eligible_for, "recipient", "eligibleFor") if filter_.eligible_for is not None else None
            )
        offer_filter = filter_.to_domain(partner_id)

        if recipient_id is not None:
            eligible: list[OfferView] | None = None

            async def eligible_for() -> list[OfferView]:
                nonlocal eligible
                if eligible is None:
                    with query_refusals():
                        eligible = await eligibility.eligible_offers(actor, recipient_id, offer_filter, limit=MAX_ELIGIBLE_OFFERS)
                return eligible

            async def fetch(after_key: CatalogueKey | None, limit: int) -> list[OfferView]:
                return _after(await eligible_for(), after_key, limit)

            async def count() -> int:
                return len(await eligible_for())
        else:

            async def fetch(after_key: CatalogueKey | None, limit: int) -> list[OfferView]:
                with query_refusals():
                    return await offers.offers_after(actor, offer_filter, after_key, limit)

            async def count() -> int:
                with query_refusals():
                    return await offers.count_offers(actor, offer_filter)

        connection = await keyset_connection(
            list_name="offers",
            first=first,
            after=after,
            fetch=fetch,
            count=count,
            key=catalogue_key,
            node=Offer.from_view,
            parse_key=parse_catalogue_key,
        )
        if recipient_id is not None and programme_id is not None:
            shown = [uuid.UUID(edge.node.id) for edge in connection.edges]
            with query_refusals():
                await offer_views.record_offers_viewed(recipient_id, entity_id(programme_id, "programme", "programmeId"), shown)
        return connection

    @strawberry.field(
        extensions=requires(Permission.CATALOG_READ),
        description="One offer, by `id` or by `code` (e.g. SHOP-IN-500, any case); null if none.",
    )
    async def offer(
        self,
        info: strawberry.Info,
        id: strawberry.ID | None = None,
        code: str | None = None,
        viewed_by: Annotated[strawberry.ID | None, strawberry.argument(description=VIEWED_BY)] = None,
        programme_id: Annotated[strawberry.ID | None, strawberry.argument(description=VIEWED_IN)] = None,
    ) -> Offer | None:
        with query_refusals():
            if (id is None) == (code is None):
                raise DomainError.single("INVALID", "give the offer's id or its code", field="id")
            if code is not None:
                check_text("code", code)
                offer_id = await offer_codes.offer_id_by_code(code)
                if offer_id is None:
                    return None
            else:
                offer_id = entity_id(id, "offer", "id")
        try:
            found = Offer.from_view(await offers.get_offer(info.context.actor, offer_id))
        except NotFound:
            return None
        if viewed_by is not None and programme_id is not None:
            with query_refusals():
                viewer = entity_id(viewed_by, "recipient", "viewedBy")
                await offer_views.record_offers_viewed(viewer, entity_id(programme_id, "programme", "programmeId"), [offer_id])
        return found
