"""Recipients and programmes queries."""

from __future__ import annotations

from typing import Annotated

import strawberry

from backend.api.errors import client_error, parse_query_id, query_error, query_refusals
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.api.permissions import requires
from backend.api.recipients.loaders import recipients_by_id
from backend.api.recipients.types import Programme, Recipient, RecipientFilterInput
from backend.core.authz import Permission
from backend.core.errors import DomainError, NotFound
from backend.recipients import services as recipients
from backend.recipients.services.search import RecipientFilter


@strawberry.type
class RecipientQueries:
    @strawberry.field(
        extensions=requires(Permission.RECIPIENTS_READ), description="Recipients in creation order, optionally filtered."
    )
    async def recipients(
        self,
        info: strawberry.Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter_: Annotated[RecipientFilterInput | None, strawberry.argument(name="filter")] = None,
    ) -> Connection[Recipient]:
        actor = info.context.actor
        recipient_filter = filter_.to_domain() if filter_ else RecipientFilter()
        with query_refusals():
            recipients.check_filter(recipient_filter)
        return await keyset_connection(
            list_name="recipients",
            first=first,
            after=after,
            fetch=lambda after_id, limit: recipients.recipients_after(actor, recipient_filter, after_id, limit),
            key=lambda view: view.id,
            node=Recipient.from_view,
            count=lambda: recipients.count_recipients(actor, recipient_filter),
        )

    @strawberry.field(
        extensions=requires(Permission.RECIPIENTS_READ),
        description="One recipient by `id` or by `externalId` (give exactly one); null if none.",
    )
    async def recipient(
        self, info: strawberry.Info, id: strawberry.ID | None = None, external_id: str | None = None
    ) -> Recipient | None:
        if (id is None) == (external_id is None):
            raise client_error("give exactly one of `id` and `externalId`")
        if id is not None:
            view = await info.context.loader(recipients_by_id).load(parse_query_id(id, "recipient"))
        else:
            try:
                view = await recipients.get_recipient(info.context.actor, external_id=external_id)
            except NotFound:
                view = None
            except DomainError as refusal:  # an external id no recipient can have
                raise query_error(refusal) from None
        return Recipient.from_view(view) if view else None

    @strawberry.field(extensions=requires(Permission.RECIPIENTS_READ), description="Programmes in creation order.")
    async def programmes(
        self, info: strawberry.Info, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Programme]:
        actor = info.context.actor
        return await keyset_connection(
            list_name="programmes",
            first=first,
            after=after,
            fetch=lambda after_id, limit: recipients.programmes_after(actor, after_id, limit),
            key=lambda view: view.id,
            node=Programme.from_view,
            count=lambda: recipients.count_programmes(actor),
        )

    @strawberry.field(extensions=requires(Permission.RECIPIENTS_READ), description="One programme; null if none.")
    async def programme(self, info: strawberry.Info, id: strawberry.ID) -> Programme | None:
        try:
            return Programme.from_view(await recipients.get_programme(info.context.actor, parse_query_id(id, "programme")))
        except NotFound:
            return None
