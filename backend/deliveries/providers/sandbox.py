"""The sandbox provider: keeps the rendered message in ``sandbox_messages`` instead of sending it
(the default when a programme has configured no provider, so ``make up`` shows rewards arriving).
It honours the delivery id as an idempotency key: a second send of one delivery keeps nothing new
and answers with the first message's id."""

from __future__ import annotations

from backend.core import sql
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.ids import new_id
from backend.deliveries.providers import Message, Outcome

NAME = "sandbox"

_KEEP = """INSERT INTO sandbox_messages (id, delivery_id, programme_id, channel, recipient, subject, html, text, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (delivery_id) DO NOTHING"""


class SandboxProvider:
    name = NAME

    async def send(self, message: Message) -> Outcome:
        async with write_transaction():
            await sql.fetch(
                _KEEP,
                new_id(),
                message.delivery_id,
                message.programme_id,
                message.channel,
                message.to,
                message.subject,
                message.html,
                message.text,
                utcnow(),
            )
            row = await sql.fetchrow("SELECT id FROM sandbox_messages WHERE delivery_id = $1", message.delivery_id)
        return Outcome(provider_message_id=f"sandbox:{row['id']}")
