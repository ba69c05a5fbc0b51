"""Points queries: a wallet's balance, its transaction log, one reservation."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from backend.api.errors import query_error, query_refusals
from backend.api.ledger.owners import parse_id, recipient_id_of
from backend.api.ledger.types import PointsBalance, PointsReservation, PointsTransactionFilterInput, PointsTransfer
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.api.permissions import requires
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError
from backend.ledger import services as ledger
from backend.ledger.errors import LedgerErrorCode
from backend.ledger.services import HistoryFilter
from backend.ledger.views import Balance, HistoryEntry

RecipientId = Annotated[strawberry.ID | None, strawberry.argument(description="Give this or `recipientExternalId`.")]
RecipientExternalId = Annotated[
    str | None, strawberry.argument(description="Your system's id of the recipient (needs `recipients:read` too).")
]


async def _balance(
    actor: Actor, programme_id: strawberry.ID, recipient_id: strawberry.ID | None, recipient_external_id: str | None
) -> Balance:
    """The wallet's balance; an unknown programme or recipient is a BAD_USER_INPUT error naming it."""
    with query_refusals():
        programme = parse_id(programme_id, LedgerErrorCode.PROGRAMME_NOT_FOUND, "programmeId")
        return await ledger.balance(actor, programme, await recipient_id_of(actor, recipient_id, recipient_external_id))


@strawberry.type
class LedgerQueries:
    @strawberry.field(
        extensions=requires(Permission.POINTS_READ),
        description="A recipient's points in a programme: all zero before their first points.",
    )
    async def points_balance(
        self,
        info: strawberry.Info,
        programme_id: strawberry.ID,
        recipient_id: RecipientId = None,
        recipient_external_id: RecipientExternalId = None,
    ) -> PointsBalance:
        return PointsBalance.from_view(await _balance(info.context.actor, programme_id, recipient_id, recipient_external_id))

    @strawberry.field(
        extensions=requires(Permission.POINTS_READ),
        description="A recipient's transaction log in a programme, newest first, optionally filtered.",
    )
    async def points_transactions(
        self,
        info: strawberry.Info,
        programme_id: strawberry.ID,
        recipient_id: RecipientId = None,
        recipient_external_id: RecipientExternalId = None,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter_: Annotated[PointsTransactionFilterInput | None, strawberry.argument(name="filter")] = None,
    ) -> Connection[PointsTransfer]:
        actor = info.context.actor
        history_filter = filter_.to_domain() if filter_ else HistoryFilter()
        wallet_id = (await _balance(actor, programme_id, recipient_id, recipient_external_id)).wallet_id

        async def fetch(after_id: uuid.UUID | None, limit: int) -> list[HistoryEntry]:
            if wallet_id is None:  # no points yet: an empty log
                return []
            with query_refusals():
                return (await ledger.history(actor, wallet_id, history_filter, after=after_id, limit=limit)).entries

        async def count() -> int:
            return 0 if wallet_id is None else await ledger.count_history(actor, wallet_id, history_filter)

        return await keyset_connection(
            list_name="pointsTransactions",
            first=first,
            after=after,
            fetch=fetch,
            count=count,
            key=lambda entry: entry.transfer.id,
            node=lambda entry: PointsTransfer.from_view(entry.transfer, entry.status),
        )

    @strawberry.field(extensions=requires(Permission.POINTS_READ), description="One reservation; null if there is none.")
    async def points_reservation(self, info: strawberry.Info, id: strawberry.ID) -> PointsReservation | None:
        with query_refusals():
            reservation_id = parse_id(id, LedgerErrorCode.RESERVATION_NOT_FOUND, "id")
        try:
            reservation = await ledger.get_reservation(info.context.actor, reservation_id)
        except DomainError as error:
            if error.code == LedgerErrorCode.RESERVATION_NOT_FOUND.value:
                return None
            raise query_error(error) from None
        return PointsReservation.from_view(reservation)
