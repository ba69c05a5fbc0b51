"""Actions on a ticket for integrators' help desks: ``reissueTicketCode`` (a new code from stock,
the old one voided; above the programme's value it waits for a second person's approval in the
console), ``resendTicketReward``, and ``requestPointsRefund`` (a reversal of one of the recipient's
redemptions, picked from ``ticketRedemptions``; above the programme's points threshold it waits for
a second person's approval in the console). Each calls its desk service; a refusal changed nothing."""

from __future__ import annotations

from datetime import datetime

import strawberry

from backend.api.errors import errors_field, query_refusals
from backend.api.graphql_values import optional_id
from backend.api.ledger.types import Points, idempotency_key_field
from backend.api.partners.ids import entity_id
from backend.api.partners.mutations import answer
from backend.api.permissions import requires
from backend.api.tickets.types import TicketError, ticket_errors
from backend.core.authz import Permission
from backend.core.errors import FieldError
from backend.tickets.services import actions, code_reissue, reward_resend
from backend.tickets.services.action_rows import REFUND_POINTS, ActionView
from backend.tickets.services.refundable import Redemption


@strawberry.input(description="Replace the code of the ticket's reward with another from stock.")
class ReissueTicketCodeInput:
    ticket_id: strawberry.ID
    reason: str = strawberry.field(description="Why (kept in the audit log), 1 to 500 characters.")


@strawberry.input(description="Send the ticket's reward again (a reward already sent goes as its claim link).")
class ResendTicketRewardInput:
    ticket_id: strawberry.ID


@strawberry.input(description="Refund points of one of the ticket's recipient's confirmed redemptions (see `ticketRedemptions`).")
class RequestPointsRefundInput:
    ticket_id: strawberry.ID
    transfer_id: strawberry.ID = strawberry.field(description="The redemption's confirming transfer (or its reservation).")
    points: Points = strawberry.field(description="1 to what is left to refund of the redemption (`refundable`).")
    reason: str = strawberry.field(description="Why (kept in the audit log and the ticket's notes), 1 to 500 characters.")
    idempotency_key: str = idempotency_key_field()


@strawberry.type(description="An action taken on a ticket.")
class TicketAction:
    id: strawberry.ID
    kind: str = strawberry.field(description="reissue_code, resend_reward or refund_points.")
    status: str = strawberry.field(
        description="done, pending_approval (a second person decides), rejected, or withdrawn by its requester."
    )
    reason: str
    recipient_notified: bool = strawberry.field(description="A message to the recipient was queued for the delivery channels.")
    points: Points | None = strawberry.field(description="refund_points: the points refunded, or to refund once approved.")
    transfer_id: strawberry.ID | None = strawberry.field(description="refund_points: the redemption's confirming transfer.")
    refund_transfer_id: strawberry.ID | None = strawberry.field(description="refund_points, once done: the reversal's transfer.")

    @classmethod
    def of(cls, view: ActionView) -> TicketAction:
        refund = view.kind == REFUND_POINTS
        return cls(
            id=strawberry.ID(str(view.id)),
            kind=view.kind,
            status=view.status,
            reason=view.reason,
            recipient_notified=view.notice_id is not None,
            points=view.amount if refund else None,
            transfer_id=optional_id(view.transfer_id) if refund else None,
            refund_transfer_id=optional_id(view.result_transfer_id),
        )


@strawberry.type(description="One of the recipient's confirmed redemptions with points left to refund.")
class TicketRedemption:
    transfer_id: strawberry.ID = strawberry.field(description="Its confirming transfer: `requestPointsRefund`'s `transferId`.")
    reservation_id: strawberry.ID
    redeemed_at: datetime
    points: Points = strawberry.field(description="The points it took.")
    reference: str | None = strawberry.field(description="The caller's reference (an order id, say).")
    refunded: Points = strawberry.field(description="Refunded already.")
    awaiting_approval: Points = strawberry.field(description="Asked for by refunds still waiting for a second person.")
    refundable: Points = strawberry.field(description="What a refund may still take: points − refunded − awaitingApproval.")

    @classmethod
    def of(cls, redemption: Redemption) -> TicketRedemption:
        return cls(
            transfer_id=strawberry.ID(str(redemption.transfer_id)),
            reservation_id=strawberry.ID(str(redemption.reservation_id)),
            redeemed_at=redemption.redeemed_at,
            points=redemption.points,
            reference=redemption.reference,
            refunded=redemption.refunded,
            awaiting_approval=redemption.awaiting_approval,
            refundable=redemption.refundable,
        )


@strawberry.type(description="The action taken, or why nothing changed.")
class TicketActionPayload:
    action: TicketAction | None
    errors: list[TicketError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> TicketActionPayload:
        return cls(action=None, errors=ticket_errors(errors))


@strawberry.type
class TicketActionMutations:
    @strawberry.mutation(
        extensions=requires(Permission.TICKETS_WRITE, refusal=TicketActionPayload.refused),
        description="Void the code of the ticket's reward and give it another from stock; the recipient is sent the "
        "new code. Above the programme's approval value the action waits for a second person's approval.",
    )
    async def reissue_ticket_code(self, info: strawberry.Info, input: ReissueTicketCodeInput) -> TicketActionPayload:
        async def reissue() -> TicketActionPayload:
            ticket_id = entity_id(input.ticket_id, "ticket", "ticket_id")
            done = await code_reissue.request_code_reissue(info.context.actor, ticket_id, input.reason)
            return TicketActionPayload(action=TicketAction.of(done), errors=[])

        return await answer(TicketActionPayload.refused, reissue)

    @strawberry.mutation(
        extensions=requires(Permission.TICKETS_WRITE, refusal=TicketActionPayload.refused),
        description="Send the ticket's reward again through the delivery channels.",
    )
    async def resend_ticket_reward(self, info: strawberry.Info, input: ResendTicketRewardInput) -> TicketActionPayload:
        async def resend() -> TicketActionPayload:
            done = await reward_resend.resend_reward(info.context.actor, entity_id(input.ticket_id, "ticket", "ticket_id"))
            return TicketActionPayload(action=TicketAction.of(done), errors=[])

        return await answer(TicketActionPayload.refused, resend)

    @strawberry.mutation(
        extensions=requires(Permission.TICKETS_WRITE, refusal=TicketActionPayload.refused),
        description="Refund points of one of the ticket's recipient's redemptions (a ledger reversal). Above the "
        "programme's `approvalAbovePoints` it waits for a second person's approval in the console. Takes an idempotency key.",
    )
    async def request_points_refund(self, info: strawberry.Info, input: RequestPointsRefundInput) -> TicketActionPayload:
        async def refund() -> TicketActionPayload:
            done = await actions.request_points_refund(
                info.context.actor,
                entity_id(input.ticket_id, "ticket", "ticket_id"),
                entity_id(input.transfer_id, "redemption", "transfer_id"),
                input.points,
                input.reason,
                idempotency_key=input.idempotency_key,
            )
            return TicketActionPayload(action=TicketAction.of(done), errors=[])

        return await answer(TicketActionPayload.refused, refund)


@strawberry.type
class TicketActionQueries:
    @strawberry.field(
        extensions=requires(Permission.TICKETS_WRITE),
        description="The ticket's recipient's confirmed redemptions in its programme with points left to refund, newest "
        "first (among their 200 most recent): what `requestPointsRefund` may take.",
    )
    async def ticket_redemptions(self, info: strawberry.Info, ticket_id: strawberry.ID) -> list[TicketRedemption]:
        with query_refusals():
            found = await actions.refundable_redemptions(info.context.actor, entity_id(ticket_id, "ticket", "ticket_id"))
        return [TicketRedemption.of(redemption) for redemption in found]
