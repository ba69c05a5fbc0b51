"""GraphQL types of the complaint desk: tickets (a list row without personal content, and the full
ticket with its thread), the inputs of openTicket and replyToTicket, and their typed errors."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from backend.api.errors import UserError, errors_field, parse_query_id, payload_errors
from backend.api.graphql_values import optional_id, values_enum
from backend.core.errors import FieldError
from backend.tickets.services.reading import QUEUE_VIEWS, TicketFilter, TicketThread
from backend.tickets.views import CATEGORIES, PRIORITIES, STATUSES, TARGETS
from backend.tickets.views import TicketSummary as SummaryView

TicketCategory = values_enum("TicketCategory", CATEGORIES, "What the recipient reports.")
TicketStatus = values_enum("TicketStatus", STATUSES, "Where a ticket stands; the SLA clocks pause while WAITING_ON_RECIPIENT.")
TicketPriority = values_enum("TicketPriority", PRIORITIES, "Set by rule from category and reward value; an agent may change it.")
TicketQueueView = values_enum("TicketQueueView", QUEUE_VIEWS, "An agent's queue: nearest SLA deadline first.")
SlaTarget = values_enum("SlaTarget", TARGETS, "An SLA target, counted in the programme's business time.")
TicketMessageAuthor = values_enum(
    "TicketMessageAuthor",
    ("agent", "recipient", "note"),
    "Who wrote a message; a NOTE is internal, never shown to the recipient.",
)


@strawberry.type(description="A ticket as a list shows it: what an agent sorts and picks by, no personal content.")
class TicketSummary:
    id: strawberry.ID
    programme_id: strawberry.ID
    category: TicketCategory
    priority: TicketPriority
    status: TicketStatus
    assignee_id: strawberry.ID | None
    queue: str
    sla_due_at: datetime | None = strawberry.field(description="The nearest SLA deadline running; null while none runs.")
    created_at: datetime

    @classmethod
    def from_view(cls, view: SummaryView) -> TicketSummary:
        return cls(
            id=strawberry.ID(str(view.id)),
            programme_id=strawberry.ID(str(view.programme_id)),
            category=TicketCategory(view.category),
            priority=TicketPriority(view.priority),
            status=TicketStatus(view.status),
            assignee_id=optional_id(view.assignee_id),
            queue=view.queue,
            sla_due_at=view.sla_due_at,
            created_at=view.created_at,
        )


@strawberry.type(description="One message of a ticket's thread.")
class TicketMessage:
    id: strawberry.ID
    author: TicketMessageAuthor
    body: str
    author_label: str
    created_at: datetime


@strawberry.type(description="An SLA target of a ticket: its deadline, whether it was breached, whether it still runs.")
class TicketSlaTarget:
    target: SlaTarget
    due_at: datetime | None = strawberry.field(description="Null while the clock is paused.")
    breached: bool
    running: bool


@strawberry.type(description="A ticket with its thread and SLA targets. Reading it is audited.")
class Ticket:
    id: strawberry.ID
    programme_id: strawberry.ID
    recipient_id: strawberry.ID | None
    reward_id: strawberry.ID | None
    delivery_id: strawberry.ID | None
    campaign_id: strawberry.ID | None
    offer_id: strawberry.ID | None
    partner_id: strawberry.ID | None
    reward_value: int | None = strawberry.field(description="Minor units of `currency`, or points when `currency` is null.")
    currency: str | None
    category: TicketCategory
    priority: TicketPriority
    status: TicketStatus
    subject: str
    assignee_id: strawberry.ID | None
    queue: str
    reports: int = strawberry.field(description="How many reports joined this ticket.")
    sla_due_at: datetime | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    csat_score: int | None
    purged: bool = strawberry.field(description="The personal content was removed after the retention period.")
    created_at: datetime
    messages: list[TicketMessage]
    sla_targets: list[TicketSlaTarget]

    @classmethod
    def from_thread(cls, thread: TicketThread) -> Ticket:
        view = thread.ticket
        return cls(
            id=strawberry.ID(str(view.id)),
            programme_id=strawberry.ID(str(view.programme_id)),
            recipient_id=optional_id(view.recipient_id),
            reward_id=optional_id(view.issuance_id),
            delivery_id=optional_id(view.delivery_id),
            campaign_id=optional_id(view.campaign_id),
            offer_id=optional_id(view.offer_id),
            partner_id=optional_id(view.partner_id),
            reward_value=view.reward_value,
            currency=view.currency,
            category=TicketCategory(view.category),
            priority=TicketPriority(view.priority),
            status=TicketStatus(view.status),
            subject=view.subject,
            assignee_id=optional_id(view.assignee_id),
            queue=view.queue,
            reports=view.reports,
            sla_due_at=view.sla_due_at,
            first_responded_at=view.first_responded_at,
            resolved_at=view.resolved_at,
            closed_at=view.closed_at,
            csat_score=view.csat_score,
            purged=view.purged,
            created_at=view.created_at,
            messages=[
                TicketMessage(
                    id=strawberry.ID(str(m.id)),
                    author=TicketMessageAuthor(m.kind),
                    body=m.body,
                    author_label=m.author_label,
                    created_at=m.created_at,
                )
                for m in thread.messages
            ],
            sla_targets=[
                TicketSlaTarget(target=SlaTarget(t.target), due_at=t.due_at, breached=t.breached, running=not t.met_or_ended)
                for t in thread.targets
            ],
        )


@strawberry.input(
    description="Which tickets. With `queue`, the agent queue: active tickets nearest SLA deadline first, narrowed by `programmeId` only."
)
class TicketFilterInput:
    queue: TicketQueueView | None = None
    programme_id: strawberry.ID | None = None
    status: TicketStatus | None = None
    category: TicketCategory | None = None
    priority: TicketPriority | None = None
    recipient_id: strawberry.ID | None = None
    reward_id: strawberry.ID | None = None
    assignee_id: strawberry.ID | None = None

    def to_domain(self) -> TicketFilter:
        return TicketFilter(
            programme_id=parse_query_id(self.programme_id, "programme"),
            status=self.status.value if self.status else None,
            category=self.category.value if self.category else None,
            priority=self.priority.value if self.priority else None,
            recipient_id=parse_query_id(self.recipient_id, "recipient"),
            issuance_id=parse_query_id(self.reward_id, "reward"),
            assignee_id=parse_query_id(self.assignee_id, "user"),
        )


@strawberry.input(
    description="A recipient's report. Name the reward when there is one (its programme, recipient, delivery, "
    "offer and partner are linked); a report on a reward whose ticket is open joins that ticket."
)
class OpenTicketInput:
    category: TicketCategory
    message: str = strawberry.field(description="The recipient's words, 1 to 10,000 characters.")
    reward_id: strawberry.ID | None = None
    programme_id: strawberry.ID | None = strawberry.field(default=None, description="Needed only without a reward.")
    recipient_id: strawberry.ID | None = None
    subject: str = ""
    idempotency_key: str | None = strawberry.field(default=None, description="A replay returns the first result.")


@strawberry.input(description="A message on a ticket: an agent's reply, an internal note, or the recipient's answer relayed.")
class ReplyToTicketInput:
    ticket_id: strawberry.ID
    body: str
    author: TicketMessageAuthor = TicketMessageAuthor("agent")
    await_recipient: bool = strawberry.field(
        default=True, description="An agent's reply waits on the recipient (the SLA clocks pause) unless false."
    )
    idempotency_key: str | None = None


@strawberry.enum(description="Why a tickets mutation changed nothing.")
class TicketErrorCode(enum.Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_CATEGORY = "INVALID_CATEGORY"
    INVALID_SOURCE = "INVALID_SOURCE"
    INVALID_AUTHOR = "INVALID_AUTHOR"
    SUBJECT_TOO_LONG = "SUBJECT_TOO_LONG"
    PROGRAMME_REQUIRED = "PROGRAMME_REQUIRED"
    REWARD_NOT_FOUND = "REWARD_NOT_FOUND"
    RECIPIENT_MISMATCH = "RECIPIENT_MISMATCH"
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    MESSAGE_TOO_LONG = "MESSAGE_TOO_LONG"
    TICKET_CLOSED = "TICKET_CLOSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    TOO_LONG = "TOO_LONG"
    # the actions on a ticket's reward
    REASON_REQUIRED = "REASON_REQUIRED"
    NO_CODE_REWARD = "NO_CODE_REWARD"
    NO_REWARD = "NO_REWARD"
    ACTION_PENDING = "ACTION_PENDING"
    NO_ALLOCATION = "NO_ALLOCATION"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    MISSING_CONTACT = "MISSING_CONTACT"
    DELIVERY_IN_FLIGHT = "DELIVERY_IN_FLIGHT"
    REWARD_VOIDED = "REWARD_VOIDED"
    REWARD_EXPIRED = "REWARD_EXPIRED"
    # resolving with the code's use confirmed
    CODE_USE_INVALID = "CODE_USE_INVALID"
    # a points refund
    INVALID_AMOUNT = "INVALID_AMOUNT"
    NO_RECIPIENT = "NO_RECIPIENT"
    NOT_A_REDEMPTION = "NOT_A_REDEMPTION"
    ALREADY_REFUNDED = "ALREADY_REFUNDED"
    OVER_REFUNDABLE = "OVER_REFUNDABLE"
    NOT_REVERSIBLE = "NOT_REVERSIBLE"
    # a programme's desk settings and SLA policies
    INVALID_TIMEZONE = "INVALID_TIMEZONE"
    INVALID_WORKING_DAYS = "INVALID_WORKING_DAYS"
    INVALID_HOURS = "INVALID_HOURS"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_WINDOW = "INVALID_WINDOW"
    INVALID_RETENTION = "INVALID_RETENTION"
    INVALID_THRESHOLD = "INVALID_THRESHOLD"
    INVALID_CALENDAR = "INVALID_CALENDAR"
    INVALID_PRIORITY = "INVALID_PRIORITY"
    INVALID_TARGET = "INVALID_TARGET"


@strawberry.type(description="A reason a tickets mutation changed nothing.")
class TicketError(UserError):
    code: TicketErrorCode


def ticket_errors(errors: list[FieldError]) -> list[TicketError]:
    return payload_errors(TicketError, TicketErrorCode, errors)


@strawberry.type(description="The ticket a report opened or joined.")
class OpenTicketPayload:
    ticket_id: strawberry.ID | None = strawberry.field(description="Null when refused.")
    joined: bool = strawberry.field(description="True when the report joined a ticket already open on the same reward.")
    errors: list[TicketError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> OpenTicketPayload:
        return cls(ticket_id=None, joined=False, errors=ticket_errors(errors))


@strawberry.type(description="The message written and the ticket's status after it.")
class ReplyToTicketPayload:
    ticket_id: strawberry.ID | None
    message_id: strawberry.ID | None
    status: TicketStatus | None
    errors: list[TicketError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> ReplyToTicketPayload:
        return cls(ticket_id=None, message_id=None, status=None, errors=ticket_errors(errors))
