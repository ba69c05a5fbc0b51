"""What the desk tells a ticket's recipient through the delivery channels (``deliveries.notices``):
an agent's reply, a replacement code, the reward sent again. Each is queued in the use case's own
transaction and rung after commit; the message links the claim page's ticket thread (or the
reward's page), where the recipient reads and answers. A ticket about no reward, or a recipient
without a contact, gets no message (the agent sees so on the ticket: no notice)."""

from __future__ import annotations

import uuid

from backend.deliveries.services import notices
from backend.deliveries.services.notices import Address, NoticeRequest

TICKET = "ticket"
MAX_QUOTE = 4000  # a reply quoted in an SMS-sized world: the thread holds the whole


async def _address(row) -> Address | None:
    if row["issuance_id"] is not None:
        return await notices.reward_address(row["issuance_id"])
    if row["recipient_id"] is not None:
        return await notices.recipient_address(row["recipient_id"])
    return None


async def _queue(row, subject: str, text: str, reveal: bool = False) -> uuid.UUID | None:
    address = await _address(row)
    if address is None:
        return None
    return await notices.queue_notice(
        NoticeRequest(
            programme_id=row["programme_id"],
            about_kind=TICKET,
            about_id=row["id"],
            channel=address.channel,
            contact=address.contact,
            subject=subject,
            text=text,
            reveal_issuance_id=row["issuance_id"] if reveal else None,
        )
    )


async def agent_reply(row, body: str, agent_label: str) -> uuid.UUID | None:
    """The reply, and where to answer it."""
    quoted = body if len(body) <= MAX_QUOTE else body[:MAX_QUOTE] + "…"
    thread = await notices.claim_page_url(row["issuance_id"], "/ticket") if row["issuance_id"] else None
    link = f"\n\nRead the conversation and answer: {thread}" if thread else ""
    return await _queue(row, f"Your support request: a reply from {agent_label}", f"{quoted}{link}")


async def replacement_code(row) -> uuid.UUID | None:
    """The new code (revealed when the message is sent), and the reward's page where it shows."""
    page = await notices.claim_page_url(row["issuance_id"])
    text = "A new code replaces the one that did not work for your reward; the old code no longer works."
    if page:
        text += f"\n\nYour reward's page shows it too: {page}"
    return await _queue(row, "Your reward: a new code", text, reveal=True)


async def reward_again(row) -> uuid.UUID | None:
    """The reward's page, for a reward whose message was sent but never reached the recipient."""
    page = await notices.claim_page_url(row["issuance_id"])
    if page is None:
        return None
    return await _queue(row, "Your reward, sent again", f"Here is your reward again. Open it here: {page}")
