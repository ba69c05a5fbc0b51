"""The chart of accounts: a wallet per (programme, recipient) and, per programme, the system
accounts funding, settlement and expiry, each split into ``SHARDS`` rows.

Why shards: every transfer touches a system account, and a single row touched by every
transfer serialises them all on its row lock (DESIGN.md measured a third of the throughput).
A transfer picks a shard at random; the account's balance is the sum of its shards.

System account ids are derived from (programme, kind, shard), so a transfer never looks one up.
"""

from __future__ import annotations

import random
import uuid
from functools import lru_cache

from backend.core import sql
from backend.core.clock import utcnow
from backend.core.ids import new_id
from backend.ledger.errors import LedgerErrorCode, refused
from backend.ledger.kinds import SYSTEM_KINDS, AccountKind

SHARDS = 16


@lru_cache(maxsize=4096)  # a pure function (uuid5 of its arguments): nothing to expire
def system_account_id(programme_id: uuid.UUID, kind: AccountKind, shard: int) -> uuid.UUID:
    return uuid.uuid5(programme_id, f"ledger/{kind.value}/{shard}")


def any_shard(programme_id: uuid.UUID, kind: AccountKind) -> uuid.UUID:
    """One shard of a system account, at random: concurrent transfers spread over the rows."""
    return system_account_id(programme_id, kind, random.randrange(SHARDS))


def system_account_ids(programme_id: uuid.UUID, kind: AccountKind) -> list[uuid.UUID]:
    return [system_account_id(programme_id, kind, shard) for shard in range(SHARDS)]


_SYSTEM_ROWS = ", ".join(
    f"(${5 * i + 1}, ${5 * i + 2}, ${5 * i + 3}, ${5 * i + 4}, ${5 * i + 5})" for i in range(len(SYSTEM_KINDS) * SHARDS)
)
_INSERT_SYSTEM = f"""INSERT INTO ledger_accounts (id, programme_id, kind, shard, created_at) VALUES {_SYSTEM_ROWS}
ON CONFLICT DO NOTHING"""
_INSERT_WALLET = """INSERT INTO ledger_accounts (id, programme_id, recipient_id, kind, shard, created_at)
VALUES ($1, $2, $3, 'wallet', 0, $4) ON CONFLICT DO NOTHING"""
_OWNERS = (
    "SELECT (SELECT id FROM programme_directory WHERE id = $1) AS programme,"
    " (SELECT id FROM recipient_directory WHERE id = $2) AS recipient"
)
_WALLET_ID = "SELECT id FROM ledger_accounts WHERE programme_id = $1 AND recipient_id = $2 AND kind = 'wallet'"


async def ensure_system_accounts(programme_id: uuid.UUID) -> None:
    """Create the programme's system account shards, once (the first wallet of a programme does)."""
    last = system_account_id(programme_id, SYSTEM_KINDS[-1], SHARDS - 1)
    if await sql.fetchrow("SELECT id FROM ledger_accounts WHERE id = $1", last):
        return
    now = utcnow()
    values = []
    for kind in SYSTEM_KINDS:
        for shard in range(SHARDS):
            values += [system_account_id(programme_id, kind, shard), programme_id, kind.value, shard, now]
    await sql.fetch(_INSERT_SYSTEM, *values)


async def wallet_id(programme_id: uuid.UUID, recipient_id: uuid.UUID) -> uuid.UUID | None:
    row = await sql.fetchrow(_WALLET_ID, programme_id, recipient_id)
    return row["id"] if row else None


async def require_owner(programme_id: uuid.UUID, recipient_id: uuid.UUID) -> None:
    """Refuse an unknown programme or recipient before a foreign key would (a failed statement
    aborts a PostgreSQL transaction; this check leaves it usable)."""
    found = await sql.fetchrow(_OWNERS, programme_id, recipient_id)
    if found["programme"] is None:
        raise refused(LedgerErrorCode.PROGRAMME_NOT_FOUND, f"programme {programme_id} does not exist", "programme_id")
    if found["recipient"] is None:
        raise refused(LedgerErrorCode.RECIPIENT_NOT_FOUND, f"recipient {recipient_id} does not exist", "recipient_id")


async def open_wallet(programme_id: uuid.UUID, recipient_id: uuid.UUID) -> tuple[uuid.UUID, bool]:
    """The recipient's wallet in the programme, created if missing, and whether this call created
    it (safe to race: the unique index keeps one wallet, and the loser reads the winner's)."""
    existing = await wallet_id(programme_id, recipient_id)
    if existing is not None:
        return existing, False
    await require_owner(programme_id, recipient_id)
    await ensure_system_accounts(programme_id)
    created = await sql.fetch(_INSERT_WALLET + " RETURNING id", new_id(), programme_id, recipient_id, utcnow())
    if created:
        return created[0]["id"], True
    return await wallet_id(programme_id, recipient_id), False
