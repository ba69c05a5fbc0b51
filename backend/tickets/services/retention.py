"""Retention: a closed ticket's personal content (subject, message bodies, attached files, the recipient link) is
removed once the programme's retention period has passed since it closed. The anonymised figures
stay: category, priority, programme, reward value, times, SLA steps and the CSAT score."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.core import audit, sql
from backend.core.authz import SYSTEM
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.tickets.services import attachments
from backend.tickets.views import PURGED

BATCH = 500


async def purge_expired_content(now: datetime | None = None) -> int:
    """Purge what is due under each programme's setting; returns how many tickets were purged."""
    now = as_utc(now or utcnow())
    programmes = await sql.fetch("SELECT programme_id, retention_days FROM ticket_desk_settings WHERE retention_days IS NOT NULL")
    purged = 0
    for programme in programmes:
        cutoff = now - timedelta(days=programme["retention_days"])
        while True:
            async with write_transaction():
                rows = await sql.fetch(
                    """UPDATE tickets SET subject = '', recipient_id = NULL, purged_at = $1
                    WHERE id IN (SELECT id FROM tickets WHERE programme_id = $2 AND closed_at IS NOT NULL AND closed_at < $3
                        AND purged_at IS NULL LIMIT $4) RETURNING id""",
                    now,
                    programme["programme_id"],
                    cutoff,
                    BATCH,
                )
                if not rows:
                    break
                ids = [row["id"] for row in rows]
                emptied = sql.Conditions(PURGED, "").in_list("ticket", ids)
                await sql.fetch(emptied.statement("UPDATE ticket_messages SET body = $1, author_label = $2"), *emptied.args)
                await attachments.purge(ids, now)
                for ticket_id in ids:
                    await audit.record(SYSTEM, "ticket.content_purged", "ticket", ticket_id)
            purged += len(ids)
    return purged
