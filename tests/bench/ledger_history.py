"""A ledger with a past: reservations opened and confirmed before a benchmark's VACUUM ANALYZE.

autovacuum is off on this server, so the planner's statistics are what the loading step leaves.
Loaded with wallets only, ``ledger_reservations`` is empty then, and a pool connection that
caches its generic plan for the confirm's claim while the table is still small keeps a
sequential scan of it for the rest of its life: every such confirm reads a table that grows
through the run (measured: a third of one service run's confirms read 2,400 rows each; over
GraphQL, whose pool lives through all the runs, a few per cent read up to 7,000). A running
service has a history, and autovacuum's ANALYZE re-plans; the benchmark's database gets one too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

CYCLES = 1000


async def reserve_and_confirm(programme_id: uuid.UUID, recipient_ids: Sequence[uuid.UUID], cycles: int = CYCLES) -> None:
    """``cycles`` reserve→confirm cycles of 1 point through the service, round the recipients
    (each funded already); the caller's engine and pool are in use."""
    from backend.core.authz import SYSTEM
    from backend.ledger import services as ledger

    for n in range(cycles):
        hold = await ledger.reserve(
            SYSTEM, programme_id, recipient_ids[n % len(recipient_ids)], 1, source="marketplace", reference="history"
        )
        await ledger.confirm(SYSTEM, hold.reservation.id)
