"""The sandbox provider: keeps the rendered message in ``sandbox_messages`` instead of sending it
(the default when a programme has configured no provider, so ``make up`` shows rewards arriving).
It honours the delivery id as an idempotency key: a second send of one delivery keeps nothing new
and answers with the first message's id.

Magic contacts fail for good, so a newcomer (or a journey) can see a permanent failure and its fix
without a real provider; nothing is kept for them:

- a phone number in the North American range reserved for fiction, ``+1 NPA 555-0100`` to
  ``555-0199`` in any area code (e.g. +12025550142): SMS → INVALID_NUMBER, WhatsApp →
  NOT_ON_WHATSAPP. (Ofcom's drama range +44 7700 900xxx would be the obvious pick, but the
  phone-number library refuses it as invalid, so no recipient can hold one.)
- any email address at ``bounces.example.com`` (e.g. nobody@bounces.example.com, which
  email-validator accepts): HARD_BOUNCE.
"""

from __future__ import annotations

import re

from backend.core import sql
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.ids import new_id
from backend.deliveries.providers import EMAIL, WHATSAPP, Message, Outcome, permanent

NAME = "sandbox"
FICTIONAL_PHONE = re.compile(r"^\+1[2-9]\d{2}55501\d{2}$")  # NANP 555-0100..0199, reserved for fiction
BOUNCING_DOMAIN = "bounces.example.com"


def magic_failure(message: Message) -> Outcome | None:
    """The permanent failure a magic contact stands for, or None for any other contact."""
    if message.channel == EMAIL:
        if message.to.rpartition("@")[2].lower() == BOUNCING_DOMAIN:
            return permanent(
                "HARD_BOUNCE", f"the mailbox {message.to} does not exist (sandbox: {BOUNCING_DOMAIN} always bounces)"
            )
        return None
    if FICTIONAL_PHONE.match(message.to):
        if message.channel == WHATSAPP:
            return permanent("NOT_ON_WHATSAPP", f"{message.to} is not on WhatsApp (sandbox: 555-01xx numbers are fictional)")
        return permanent(
            "INVALID_NUMBER", f"{message.to} is not a reachable phone number (sandbox: 555-01xx numbers are fictional)"
        )
    return None


_KEEP = """INSERT INTO sandbox_messages (id, delivery_id, programme_id, channel, recipient, subject, html, text, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (delivery_id) DO NOTHING"""


class SandboxProvider:
    name = NAME

    async def send(self, message: Message) -> Outcome:
        if (failure := magic_failure(message)) is not None:
            return failure
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
