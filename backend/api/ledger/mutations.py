"""Points mutations: parse the input, call the ledger service, render its result or its refusal.

Every one is idempotent through the service (the key is per API key); a refusal is the payload's
``errors`` and means nothing changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from backend.api.ledger.owners import offer_id_of, parse_id, recipient_id_of, redemption_id_of
from backend.api.ledger.types import (
    ConfirmReservationInput,
    CreditPointsInput,
    ReleaseReservationInput,
    ReservationPayload,
    ReservePointsInput,
    ReverseRedemptionInput,
    TransferPayload,
)
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.core.errors import DomainError
from backend.ledger import services as ledger
from backend.ledger.errors import LedgerErrorCode
from backend.ledger.kinds import Source

Payload = TypeVar("Payload", ReservationPayload, TransferPayload)


async def _payload(
    payload: type[Payload], work: Callable[[], Awaitable[Payload]], renamed: dict[str, str] | None = None
) -> Payload:
    """``work()``'s payload, or the payload of its refusal (with service argument names as the input's)."""
    try:
        return await work()
    except DomainError as refusal:
        return payload.refused(refusal.errors, renamed)


WRITE_RESERVATION = requires(Permission.POINTS_WRITE, refusal=ReservationPayload.refused)


@strawberry.type
class LedgerMutations:
    @strawberry.mutation(
        extensions=WRITE_RESERVATION,
        description="Hold points of a recipient's wallet for a purchase (INSUFFICIENT_POINTS if they are not available). "
        "Confirm or release the reservation before its timeout; after it, the hold is released.",
    )
    async def reserve_points(self, info: strawberry.Info, input: ReservePointsInput) -> ReservationPayload:
        actor = info.context.actor

        async def reserve() -> ReservationPayload:
            programme = parse_id(input.programme_id, LedgerErrorCode.PROGRAMME_NOT_FOUND, "programmeId")
            recipient = await recipient_id_of(actor, input.recipient_id, input.recipient_external_id)
            offer = await offer_id_of(input.offer_id)
            return ReservationPayload.of(
                await ledger.reserve(
                    actor,
                    programme,
                    recipient,
                    input.amount,
                    source=Source(input.source.value),
                    reference=input.reference,
                    reason=input.reason or "",
                    timeout=input.timeout(),
                    offer_id=offer,
                    idempotency_key=input.idempotency_key,
                )
            )

        return await _payload(ReservationPayload, reserve, {"timeout": "timeoutSeconds"})

    @strawberry.mutation(
        extensions=WRITE_RESERVATION,
        description="Spend a reservation: all it holds, or `amount` of it with the rest released. RESERVATION_EXPIRED "
        "after its timeout, RESERVATION_NOT_PENDING once confirmed or released.",
    )
    async def confirm_reservation(self, info: strawberry.Info, input: ConfirmReservationInput) -> ReservationPayload:
        async def confirm() -> ReservationPayload:
            reservation = parse_id(input.reservation_id, LedgerErrorCode.RESERVATION_NOT_FOUND, "reservationId")
            offer = await offer_id_of(input.offer_id)
            return ReservationPayload.of(
                await ledger.confirm(
                    info.context.actor,
                    reservation,
                    input.amount,
                    reference=input.reference,
                    reason=input.reason or "",
                    offer_id=offer,
                    idempotency_key=input.idempotency_key,
                )
            )

        return await _payload(ReservationPayload, confirm)

    @strawberry.mutation(
        extensions=WRITE_RESERVATION,
        description="Give a pending reservation's points back to the wallet (the purchase did not happen). "
        "RESERVATION_EXPIRED after its timeout (the sweep gives them back then), RESERVATION_NOT_PENDING once "
        "confirmed or released.",
    )
    async def release_reservation(self, info: strawberry.Info, input: ReleaseReservationInput) -> ReservationPayload:
        async def release() -> ReservationPayload:
            reservation = parse_id(input.reservation_id, LedgerErrorCode.RESERVATION_NOT_FOUND, "reservationId")
            return ReservationPayload.of(
                await ledger.release(info.context.actor, reservation, input.reason, idempotency_key=input.idempotency_key)
            )

        return await _payload(ReservationPayload, release)

    @strawberry.mutation(
        extensions=requires(Permission.POINTS_WRITE, refusal=TransferPayload.refused),
        description="Credit points a recipient earned (the wallet is opened with its first points).",
    )
    async def credit_points(self, info: strawberry.Info, input: CreditPointsInput) -> TransferPayload:
        actor = info.context.actor

        async def credit() -> TransferPayload:
            programme = parse_id(input.programme_id, LedgerErrorCode.PROGRAMME_NOT_FOUND, "programmeId")
            recipient = await recipient_id_of(actor, input.recipient_id, input.recipient_external_id)
            return TransferPayload.of(
                await ledger.earn(
                    actor,
                    programme,
                    recipient,
                    input.amount,
                    source=input.source,
                    reference=input.reference,
                    reason=input.reason or "",
                    idempotency_key=input.idempotency_key,
                )
            )

        return await _payload(TransferPayload, credit)

    @strawberry.mutation(
        extensions=requires(Permission.POINTS_WRITE, refusal=TransferPayload.refused),
        description="Refund a confirmed redemption: a new REVERSE transfer gives the points back, linked to the redemption. "
        "NOT_REVERSIBLE beyond what was spent.",
    )
    async def reverse_redemption(self, info: strawberry.Info, input: ReverseRedemptionInput) -> TransferPayload:
        async def reverse() -> TransferPayload:
            redemption = redemption_id_of(input.transfer_id, input.reservation_id)
            return TransferPayload.of(
                await ledger.reverse(
                    info.context.actor, redemption, input.amount, reason=input.reason, idempotency_key=input.idempotency_key
                )
            )

        # The service names the redemption `transfer_id` whichever id the client gave.
        return await _payload(TransferPayload, reverse, {"transfer_id": "reservationId"} if input.reservation_id else None)
