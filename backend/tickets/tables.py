"""Ticket tables: complaints, their messages, their SLA clocks' escalation steps, and each programme's
desk settings (calendar, retention, breach action) and SLA policies.

What Piccolo's columns cannot say is in the raw migration: one *open* ticket per reward (a partial
unique index, which is what makes a second report join the first), the sweep's index over pending
steps, the agent queue's indexes, UNIQUE (programme_id, priority) of policies."""

from piccolo.columns import JSON, UUID, BigInt, Bytea, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class Ticket(Table, tablename="tickets"):
    """One complaint. ``subject`` and the messages are the recipient's personal content (purged after
    retention); the rest are the anonymised figures the SLA report keeps. ``sla_due_at`` is the
    nearest running breach deadline (far future when none runs): the agent queue sorts by it."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    recipient_id = UUID(null=True, default=None, index=True)
    issuance_id = UUID(null=True, default=None)
    delivery_id = UUID(null=True, default=None)
    campaign_id = UUID(null=True, default=None)
    offer_id = UUID(null=True, default=None)
    partner_id = UUID(null=True, default=None)
    reward_value = BigInt(null=True, default=None)  # minor units of ``currency``, or points
    currency = Varchar(length=3, null=True, default=None)
    category = Varchar(length=24)
    priority = Varchar(length=8)
    status = Varchar(length=24)
    source = Varchar(length=16)  # claim_page | console | api
    subject = Text(default="")
    assignee_id = UUID(null=True, default=None)
    queue = Varchar(length=60, default="support")
    opened_by_label = Varchar(length=255)
    sla_due_at = Timestamptz()
    paused_at = Timestamptz(null=True, default=None)
    first_responded_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    reports = Integer(default=1)  # how many reports joined this ticket
    csat_score = Integer(null=True, default=None)
    csat_at = Timestamptz(null=True, default=None)
    purged_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TicketMessage(Table, tablename="ticket_messages"):
    id = UUID(primary_key=True, default=UUID7Default())
    ticket = ForeignKey(references=Ticket, index=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=16)  # recipient | agent | note (internal, never shown to the recipient)
    body = Text()
    author_id = UUID(null=True, default=None)
    author_label = Varchar(length=255)
    created_at = Timestamptz()


class TicketSlaStep(Table, tablename="ticket_sla_steps"):
    """One escalation step of one SLA target: the warning (at 80 % of the target) or the breach.

    The clock of a step is ``consumed_s`` business seconds counted so far plus the time since
    ``anchor_at`` (None while paused); ``due_at`` is when it reaches ``target_s`` (None while
    paused). The sweep takes a pending step with a conditional UPDATE (pending → done): once."""

    id = UUID(primary_key=True, default=UUID7Default())
    ticket = ForeignKey(references=Ticket, index=True, on_delete=OnDelete.restrict)
    target = Varchar(length=16)  # first_response | next_response | resolution
    kind = Varchar(length=8)  # warning | breach
    state = Varchar(length=10)  # pending | done | cancelled
    target_s = Integer()
    consumed_s = Integer(default=0)
    anchor_at = Timestamptz(null=True, default=None)
    due_at = Timestamptz(null=True, default=None)
    stopped_at = Timestamptz(null=True, default=None)  # the target was met or ended
    done_at = Timestamptz(null=True, default=None)


class TicketDeskSettings(Table, tablename="ticket_desk_settings"):
    """A programme's desk: its business calendar, reopen window, retention and breach action."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(unique=True)
    timezone = Varchar(length=64, default="UTC")
    working_days = JSON(default=[0, 1, 2, 3, 4])
    opens_minute = Integer(default=540)
    closes_minute = Integer(default=1020)
    holiday_country = Varchar(length=2, null=True, default=None)
    custom_holidays = JSON(default=[])  # ISO dates
    reopen_window_hours = Integer(default=168)
    retention_days = Integer(null=True, default=None)  # None: keep personal content
    breach_queue = Varchar(length=60, null=True, default=None)
    breach_assignee_id = UUID(null=True, default=None)
    high_value_minor = BigInt(null=True, default=None)  # a reward worth this or more raises the priority
    approval_above_points = BigInt(null=True, default=None)  # a refund above this needs a second person
    # A replacement code for a reward worth more than this (minor units) needs a second person.
    approval_above_minor = BigInt(null=True, default=None)
    updated_at = Timestamptz()
    updated_by_label = Varchar(length=255, default="")


class SlaPolicy(Table, tablename="sla_policies"):
    """Targets in business seconds for one programme and priority (else the shipped defaults)."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    priority = Varchar(length=8)
    first_response_s = Integer()
    next_response_s = Integer()
    resolution_s = Integer()
    updated_at = Timestamptz()


class TicketAction(Table, tablename="ticket_actions"):
    """An action taken on a ticket through its own service (a points refund, a replacement code, a
    resend of the reward), with the second person's approval it needed: pending_approval → done, or
    rejected, or withdrawn by its requester; approved exactly once."""

    id = UUID(primary_key=True, default=UUID7Default())
    ticket = ForeignKey(references=Ticket, index=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=24)  # refund_points | reissue_code | resend_reward
    transfer_id = UUID(null=True, default=None)  # the redemption refunded
    amount = BigInt()
    reason = Text(default="")
    status = Varchar(length=20)  # pending_approval | done | rejected | withdrawn
    requested_by_id = UUID(null=True, default=None)
    requested_by_label = Varchar(length=255)
    decided_by_id = UUID(null=True, default=None)
    decided_by_label = Varchar(length=255, null=True, default=None)
    result_transfer_id = UUID(null=True, default=None)  # the ledger's reversal
    voided_code_id = UUID(null=True, default=None)  # a reissue: the code voided…
    result_code_id = UUID(null=True, default=None)  # …and the one that replaced it
    notice_id = UUID(null=True, default=None)  # the message that told the recipient
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)


class TicketAttachment(Table, tablename="ticket_attachments"):
    """A file attached to a ticket (a photo of the refused code, a receipt), kept in the database like
    partners' evidence files. Its type is what its first bytes say it is (checked against its name);
    its bytes are personal content, emptied by retention (``purged_at``)."""

    id = UUID(primary_key=True, default=UUID7Default())
    ticket = ForeignKey(references=Ticket, index=True, on_delete=OnDelete.restrict)
    message_id = UUID(null=True, default=None)  # the message it came with
    file_name = Varchar(length=255)
    content_type = Varchar(length=100)
    sha256 = Varchar(length=64)
    size_bytes = BigInt()
    content = Bytea()
    uploaded_by_label = Varchar(length=255)
    uploaded_at = Timestamptz()
    purged_at = Timestamptz(null=True, default=None)
