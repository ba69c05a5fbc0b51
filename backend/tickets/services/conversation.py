"""Working a ticket: replies to and from the recipient, internal notes, status, assignment, priority
and the recipient's one satisfaction rating. Each use case moves the SLA clocks (services.clocks):
an agent's first reply meets the first-response target, a reply that awaits the recipient pauses
every clock, the recipient's reply resumes them (and reopens a resolved ticket within the window)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.core import audit, idempotency, outbox, sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.deliveries.services import notices
from backend.tickets.services import clocks, desk, recipient_notices, records
from backend.tickets.views import (
    AGENT,
    CLOSED,
    CODE_ALREADY_USED,
    CODE_USE_CONFIRMED,
    FIRST_RESPONSE,
    NEW,
    NEXT_RESPONSE,
    NOTE,
    OPEN,
    PRIORITIES,
    RECIPIENT,
    RESOLUTION,
    RESOLVED,
    STATUSES,
    WAITING,
)

AUTHORS = (AGENT, RECIPIENT, NOTE)
CSAT_SCORES = range(1, 6)


@dataclass(frozen=True)
class Reply:
    ticket_id: uuid.UUID
    message_id: uuid.UUID
    status: str


async def recipient_message(ticket_id: uuid.UUID, body: str, actor: Actor, now) -> list[uuid.UUID]:
    """The recipient wrote (a reply, or a second report joining the ticket): clocks resume, the
    next-response clock starts once an agent has answered, a resolved ticket reopens within the
    window. Returns the events to ring."""
    row = await records.take(ticket_id, now)
    settings = await desk.desk_settings(row["programme_id"])
    calendar = settings.calendar(now)
    if row["status"] == CLOSED or (row["status"] == RESOLVED and as_utc(row["resolved_at"]) + settings.reopen_window < now):
        raise DomainError.single(
            "TICKET_CLOSED", "this ticket is closed and can no longer be reopened; open a new one", field="ticket_id"
        )
    await records.add_message(ticket_id, RECIPIENT, records.checked_body(body), actor, now)
    events = []
    if row["status"] in (WAITING, RESOLVED):
        event = await records.set_status(row, OPEN, actor, now, ", paused_at = NULL, resolved_at = NULL")
        events.append(event)
        await clocks.resume(ticket_id, calendar, now)
    if row["first_responded_at"] is not None:
        await clocks.start(ticket_id, NEXT_RESPONSE, await desk.sla_targets(row["programme_id"], row["priority"]), calendar, now)
    await clocks.refresh_deadline([ticket_id])
    return [event for event in events if event is not None]


def _ticket_actor_check(actor: Actor, author: str) -> None:
    actor.require(Permission.TICKETS_WRITE)
    if author not in AUTHORS:
        raise DomainError.single("INVALID_AUTHOR", f"a message is from one of {', '.join(AUTHORS)}", field="author")


async def reply(
    actor: Actor,
    ticket_id: uuid.UUID,
    body: str,
    author: str = AGENT,
    await_recipient: bool = True,
    idempotency_key: str | None = None,
) -> Reply:
    """An agent's reply (awaiting the recipient's answer unless told otherwise; sent to the recipient
    through the delivery channels, with a link to the claim page's thread), an internal note, or a
    recipient's reply relayed by an integrator's help desk."""
    _ticket_actor_check(actor, author)
    body = records.checked_body(body)
    request = idempotency.Request.of(
        actor,
        idempotency_key,
        "tickets.reply",
        {"ticket_id": ticket_id, "body": body, "author": author, "await": await_recipient},
    )
    events: list[uuid.UUID] = []
    sent: list[uuid.UUID] = []

    async def effect() -> Reply:
        events.clear()
        sent.clear()
        now = utcnow()
        if author == RECIPIENT:
            events.extend(await recipient_message(ticket_id, body, actor, now))
            message_id = (
                await sql.fetchrow("SELECT id FROM ticket_messages WHERE ticket = $1 ORDER BY id DESC LIMIT 1", ticket_id)
            )["id"]
            return Reply(ticket_id, message_id, (await records.take(ticket_id, now))["status"])
        row = await records.take(ticket_id, now)
        if row["status"] == CLOSED:
            raise DomainError.single("TICKET_CLOSED", "this ticket is closed", field="ticket_id")
        message_id = await records.add_message(ticket_id, author, body, actor, now)
        if author == NOTE:
            await audit.record(actor, "ticket.note_added", "ticket", ticket_id, after={"message_id": message_id})
            return Reply(ticket_id, message_id, row["status"])
        status = WAITING if await_recipient else OPEN
        calendar = (await desk.desk_settings(row["programme_id"])).calendar(now)
        extra, args = "", ()
        if row["first_responded_at"] is None:
            extra, args = ", first_responded_at = $3", (now,)
        if row["assignee_id"] is None and actor.kind is ActorKind.USER:
            extra, args = extra + f", assignee_id = ${3 + len(args)}", (*args, actor.id)  # replying claims it
        await clocks.stop(ticket_id, (FIRST_RESPONSE, NEXT_RESPONSE), now)
        if status == WAITING and row["status"] != WAITING:
            extra, args = extra + f", paused_at = ${3 + len(args)}", (*args, now)
            await clocks.pause(ticket_id, calendar, now)
        elif status == OPEN and row["status"] == WAITING:
            extra += ", paused_at = NULL"
            await clocks.resume(ticket_id, calendar, now)
        events.append(await records.set_status(row, status, actor, now, extra, args))
        await clocks.refresh_deadline([ticket_id])
        notice_id = await recipient_notices.agent_reply(row, body, actor.label)
        sent.extend([notice_id] if notice_id else [])
        await audit.record(
            actor,
            "ticket.replied",
            "ticket",
            ticket_id,
            after={"message_id": message_id, "status": status, "notice_id": notice_id},
        )
        return Reply(ticket_id, message_id, status)

    outcome = await idempotency.once(request, effect, Reply)
    if not outcome.replayed:
        await outbox.ring([event for event in events if event is not None])
        await notices.ring(sent)
    return outcome.value


async def change_status(actor: Actor, ticket_id: uuid.UUID, status: str, *, code_used: bool = False) -> str:
    """An agent sets the status: open (resumes), waiting on the recipient (pauses), resolved (the
    response clocks end, resolution is met), closed (every clock ends).

    ``code_used``: resolving a "code already used" ticket, the agent confirms the code was indeed
    used (not a fault of ours): a ``ticket.code_use_confirmed`` event, which insights records as a
    redemption of the reward (once, whoever else reports it). CODE_USE_INVALID on any other move
    or ticket, and nothing changes."""
    actor.require(Permission.TICKETS_WRITE)
    if status not in STATUSES or status == NEW:
        raise DomainError.single(
            "INVALID_STATUS", "a ticket moves to open, waiting_on_recipient, resolved or closed", field="status"
        )
    if code_used and status != RESOLVED:
        raise DomainError.single("CODE_USE_INVALID", "a code is confirmed used when the ticket is resolved", field="code_used")
    async with write_transaction():
        now = utcnow()
        row = await records.take(ticket_id, now)
        if row["status"] == CLOSED:
            raise DomainError.single("TICKET_CLOSED", "this ticket is closed", field="ticket_id")
        confirmed = await _code_use_confirmed(actor, row, now) if code_used else None
        event = await _move(actor, row, status, now) if row["status"] != status else None
    await outbox.ring([found for found in (event, confirmed) if found])
    return status


async def _move(actor: Actor, row, status: str, now) -> uuid.UUID | None:
    """The status change and its clocks, in the caller's transaction; the event to ring."""
    ticket_id = row["id"]
    calendar = (await desk.desk_settings(row["programme_id"])).calendar(now)
    was_paused = row["status"] in (WAITING, RESOLVED)
    extra, args = "", ()
    if status == OPEN:
        extra = ", paused_at = NULL, resolved_at = NULL"
        if was_paused:
            await clocks.resume(ticket_id, calendar, now)
    elif status == WAITING:
        extra, args = ", paused_at = $3", (now,)
        if not was_paused:
            await clocks.pause(ticket_id, calendar, now)
    elif status == RESOLVED:
        extra, args = ", resolved_at = $3", (now,)
        await clocks.stop(ticket_id, (FIRST_RESPONSE, NEXT_RESPONSE), now)
        if not was_paused:
            await clocks.pause(ticket_id, calendar, now)  # resolution met; a reopen resumes it
    else:
        extra, args = ", closed_at = $3", (now,)
        await clocks.stop(ticket_id, (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION), now)
    event = await records.set_status(row, status, actor, now, extra, args)
    await clocks.refresh_deadline([ticket_id])
    return event


async def _code_use_confirmed(actor: Actor, row, now) -> uuid.UUID:
    """The agent's finding on a "code already used" ticket with a reward: the code was used. Audited,
    and an event for insights (in the ticket's transaction)."""
    if row["category"] != CODE_ALREADY_USED or row["issuance_id"] is None:
        raise DomainError.single(
            "CODE_USE_INVALID", "only a “code already used” ticket about a reward can confirm its code used", field="code_used"
        )
    await audit.record(actor, "ticket.code_use_confirmed", "ticket", row["id"], after={"issuance_id": row["issuance_id"]})
    return await outbox.add(
        CODE_USE_CONFIRMED,
        {
            "ticket_id": str(row["id"]),
            "programme_id": str(row["programme_id"]),
            "issuance_id": str(row["issuance_id"]),
            "confirmed_at": now.isoformat(),
        },
    )


async def assign(actor: Actor, ticket_id: uuid.UUID, assignee_id: uuid.UUID | None, queue: str | None = None) -> None:
    """Give the ticket to a person (None: unassigned), optionally in another queue; claiming is
    assigning to oneself."""
    actor.require(Permission.TICKETS_WRITE)
    if queue is not None and not 1 <= len(queue.strip()) <= 60:
        raise DomainError.single("INVALID_QUEUE", "a queue name is 1 to 60 characters", field="queue")
    async with write_transaction():
        row = await records.take(ticket_id, utcnow())
        new_queue = queue.strip() if queue is not None else row["queue"]
        await sql.fetch("UPDATE tickets SET assignee_id = $2, queue = $3 WHERE id = $1", ticket_id, assignee_id, new_queue)
        await audit.record(
            actor,
            "ticket.assigned",
            "ticket",
            ticket_id,
            {"assignee_id": row["assignee_id"], "queue": row["queue"]},
            {"assignee_id": assignee_id, "queue": new_queue},
        )


async def change_priority(actor: Actor, ticket_id: uuid.UUID, priority: str) -> None:
    """An agent's call overrides the rule; the clocks that have not fired follow the new targets."""
    actor.require(Permission.TICKETS_WRITE)
    if priority not in PRIORITIES:
        raise DomainError.single("INVALID_PRIORITY", f"a priority is one of {', '.join(PRIORITIES)}", field="priority")
    async with write_transaction():
        now = utcnow()
        row = await records.take(ticket_id, now)
        if row["priority"] == priority:
            return
        await sql.fetch("UPDATE tickets SET priority = $2 WHERE id = $1", ticket_id, priority)
        targets = await desk.sla_targets(row["programme_id"], priority)
        calendar = (await desk.desk_settings(row["programme_id"])).calendar(now)
        await clocks.retarget(ticket_id, targets, calendar, now, paused=row["status"] in (WAITING, RESOLVED))
        await clocks.refresh_deadline([ticket_id])
        await audit.record(
            actor, "ticket.priority_changed", "ticket", ticket_id, {"priority": row["priority"]}, {"priority": priority}
        )


async def rate(actor: Actor, ticket_id: uuid.UUID, score: int) -> None:
    """The recipient's satisfaction rating, once, after resolution (a conditional update decides)."""
    if score not in CSAT_SCORES:
        raise DomainError.single("INVALID_SCORE", "a rating is 1 to 5", field="score")
    async with write_transaction():
        rated = await sql.fetch(
            f"""UPDATE tickets SET csat_score = $2, csat_at = $3 WHERE id = $1 AND csat_score IS NULL
            AND status IN ('{RESOLVED}', '{CLOSED}') RETURNING id""",
            ticket_id,
            score,
            utcnow(),
        )
        if not rated:
            raise DomainError.single("CSAT_NOT_OPEN", "a ticket is rated once, after it is resolved", field="ticket_id")
        await audit.record(actor, "ticket.rated", "ticket", ticket_id, after={"score": score})
