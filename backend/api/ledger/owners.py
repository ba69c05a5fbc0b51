"""Which programme, recipient, reservation or transfer a points call is about, from the ids the
client sent. A malformed id or an unknown external id is the ledger's own "not found" error, so a
mutation reports it in its payload and a query as a GraphQL error, like any other refusal."""

from __future__ import annotations

import uuid

import strawberry

from backend.catalog.services import offer_rows
from backend.core.authz import Actor
from backend.core.errors import NotFound
from backend.core.text import check_text, shown
from backend.ledger.errors import LedgerErrorCode, refused
from backend.recipients import services as recipients


def parse_id(value: strawberry.ID | str, code: LedgerErrorCode, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        entity = field.removesuffix("Id").removesuffix("_id")
        raise refused(code, f"'{value}' is not a {entity} id", field) from None


async def recipient_id_of(actor: Actor, recipient_id: strawberry.ID | None, recipient_external_id: str | None) -> uuid.UUID:
    """The recipient given by Mirabelle's id or by the client's external id (exactly one).

    An external id is looked up through the recipients service with the caller's own rights, so it
    needs ``recipients:read`` as well: the ledger does not hand out the recipient directory."""
    if (recipient_id is None) == (recipient_external_id is None):
        raise refused(
            LedgerErrorCode.RECIPIENT_NOT_FOUND, "give exactly one of recipientId and recipientExternalId", "recipientId"
        )
    if recipient_id is not None:
        return parse_id(recipient_id, LedgerErrorCode.RECIPIENT_NOT_FOUND, "recipientId")
    check_text("recipient_external_id", recipient_external_id)  # named as the input names it
    try:
        return await recipients.recipient_id_by_external_id(actor, recipient_external_id)
    except NotFound:
        raise refused(
            LedgerErrorCode.RECIPIENT_NOT_FOUND,
            f"no recipient has the external id '{shown(recipient_external_id)}'",
            "recipientExternalId",
        ) from None


def redemption_id_of(transfer_id: strawberry.ID | None, reservation_id: strawberry.ID | None) -> uuid.UUID:
    """reverseRedemption names the redemption by its confirming transfer or by its reservation;
    the service accepts either id."""
    if (transfer_id is None) == (reservation_id is None):
        raise refused(LedgerErrorCode.TRANSFER_NOT_FOUND, "give exactly one of transferId and reservationId", "transferId")
    if transfer_id is not None:
        return parse_id(transfer_id, LedgerErrorCode.TRANSFER_NOT_FOUND, "transferId")
    return parse_id(reservation_id, LedgerErrorCode.RESERVATION_NOT_FOUND, "reservationId")


async def offer_id_of(offer_id: strawberry.ID | None) -> uuid.UUID | None:
    """The catalogue offer a reservation pays for, if named; OFFER_NOT_FOUND when the catalogue
    has no such offer. Checked here because the ledger sits below the catalogue; one lookup, and
    only when an offer is named."""
    if offer_id is None:
        return None
    offer = parse_id(offer_id, LedgerErrorCode.OFFER_NOT_FOUND, "offerId")
    if offer not in await offer_rows.load_offers([offer]):
        raise refused(LedgerErrorCode.OFFER_NOT_FOUND, f"offer {offer} does not exist", "offerId")
    return offer
