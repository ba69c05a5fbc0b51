"""A campaign's count and budget, held in counter shards (escrow), so that no single row serialises
the issuances of a campaign (DESIGN.md "Where we stand": the next wall is a hot row).

Each campaign has ``SHARDS`` rows in ``campaign_counter_shards``. What is left of its maximum count
and of its budget is split across them (``remaining_count``, ``remaining_budget``; None on every
shard when the campaign has no such limit), and each shard counts what was taken from it
(``issued_*``, ``pending_*``). The campaign's totals are the sums over its shards.

**Taking** (one issuance, issued or held for approval) is a conditional UPDATE of one shard, chosen
at random (the common case, with room to spare)::

    UPDATE campaign_counter_shards SET remaining_count = remaining_count - 1,
        remaining_budget = remaining_budget - :value, issued_count = issued_count + 1, …
    WHERE campaign = :id AND shard = :k AND remaining_count >= 1 AND remaining_budget >= :value
      AND <the campaign is active, within its dates, with the rules the issuance read>

Whether a row comes back decides, as for the ledger's wallets: a shard can never go below zero,
so the sum can never pass the cap. When the shard is short (the campaign is near exhaustion, or
the reward is large for a shard's share), the issuance rolls back and is decided again **under a
lock**: it locks the campaign's row (so rebalancing and edits run one at a time), then every shard
(waiting for the issuances in flight on them), and takes from the *sum*: refused only if the sum
is short, else the rest is split again across the shards. So a refusal means the campaign truly
has no room, and the lock is taken only near the end. (The roll-back matters: PostgreSQL keeps a
row it re-checked for a failed UPDATE locked, and a transaction holding one shard must never wait
for the others.)

**Editing** a campaign's maximum or budget re-splits the same way (:func:`respread`): under the
campaign row's lock and every shard's, what is left is the new limit minus what the shards have
counted (issued and pending), so an edit while issuing stays exact.

Lock order, the same everywhere: the campaign row, then the shards. A fast-path issuance holds one
shard and never waits for the campaign row (its check of the campaign is a read), so nothing here
can deadlock. Statements are identical on PostgreSQL and SQLite (where ``BEGIN IMMEDIATE`` runs
writers one at a time anyway).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import sql
from backend.core.ids import new_id

SHARDS = 64  # as many as the callers of one hot campaign we plan for (DESIGN.md: 64), so that they rarely meet on a shard

_OPEN_CAMPAIGN = """EXISTS (SELECT 1 FROM campaigns WHERE id = $1 AND status = 'active' AND starts_at <= $8 AND ends_at > $8
    AND updated_at = $9)"""

_TAKE = f"""UPDATE campaign_counter_shards SET remaining_count = remaining_count - 1, remaining_budget = remaining_budget - $3,
    issued_count = issued_count + $4, issued_value = issued_value + $5, pending_count = pending_count + $6,
    pending_value = pending_value + $7
WHERE campaign = $1 AND shard = $2 AND (remaining_count IS NULL OR remaining_count >= 1)
    AND (remaining_budget IS NULL OR remaining_budget >= $3) AND {_OPEN_CAMPAIGN}
RETURNING shard"""

# The campaign row's lock (its rules unchanged: the same row as the issuance read, still open).
_LOCK_CAMPAIGN = """UPDATE campaigns SET updated_at = updated_at
WHERE id = $1 AND status = 'active' AND starts_at <= $2 AND ends_at > $2 AND updated_at = $3 RETURNING id"""

# Every shard's lock, and what each holds (a no-op UPDATE: the same statement on both databases).
_LOCK_SHARDS = """UPDATE campaign_counter_shards SET remaining_count = remaining_count WHERE campaign = $1
RETURNING shard, remaining_count, remaining_budget, issued_count, issued_value, pending_count, pending_value"""

# What is left ($2 count, $3 budget; NULL: no limit) split over the $4 shards (the first ones get
# the remainder), and a taking counted on shard 0 ($5..$8).
_SPREAD = """UPDATE campaign_counter_shards SET
    remaining_count = CASE WHEN CAST($2 AS BIGINT) IS NULL THEN NULL
        ELSE CAST($2 AS BIGINT) / $4 + CASE WHEN shard < CAST($2 AS BIGINT) % $4 THEN 1 ELSE 0 END END,
    remaining_budget = CASE WHEN CAST($3 AS BIGINT) IS NULL THEN NULL
        ELSE CAST($3 AS BIGINT) / $4 + CASE WHEN shard < CAST($3 AS BIGINT) % $4 THEN 1 ELSE 0 END END,
    issued_count = issued_count + CASE WHEN shard = 0 THEN CAST($5 AS BIGINT) ELSE 0 END,
    issued_value = issued_value + CASE WHEN shard = 0 THEN CAST($6 AS BIGINT) ELSE 0 END,
    pending_count = pending_count + CASE WHEN shard = 0 THEN CAST($7 AS BIGINT) ELSE 0 END,
    pending_value = pending_value + CASE WHEN shard = 0 THEN CAST($8 AS BIGINT) ELSE 0 END
WHERE campaign = $1"""

_OPEN_SHARDS = """INSERT INTO campaign_counter_shards (id, campaign, shard, remaining_count, remaining_budget, issued_count,
    issued_value, pending_count, pending_value) VALUES {rows}"""

# Approval: the held reward becomes issued, on the shard that holds it, if the campaign still issues.
_SETTLE = """UPDATE campaign_counter_shards SET issued_count = issued_count + 1, issued_value = issued_value + $3,
    pending_count = pending_count - 1, pending_value = pending_value - $3
WHERE campaign = $1 AND shard = $2 AND pending_count >= 1 AND pending_value >= $3
    AND EXISTS (SELECT 1 FROM campaigns WHERE id = $1 AND status = 'active' AND starts_at <= $4 AND ends_at > $4)
RETURNING shard"""

# Rejection: the hold goes back to what is left, on the shard that held it.
_RELEASE = """UPDATE campaign_counter_shards SET pending_count = pending_count - 1, pending_value = pending_value - $3,
    remaining_count = remaining_count + 1, remaining_budget = remaining_budget + $3
WHERE campaign = $1 AND shard = $2 AND pending_count >= 1 AND pending_value >= $3 RETURNING shard"""

_TOTALS = """SELECT campaign, CAST(SUM(issued_count) AS BIGINT) AS issued_count, CAST(SUM(issued_value) AS BIGINT) AS issued_value,
    CAST(SUM(pending_count) AS BIGINT) AS pending_count, CAST(SUM(pending_value) AS BIGINT) AS pending_value
FROM campaign_counter_shards"""

NO_COUNTS = {"issued_count": 0, "issued_value": 0, "pending_count": 0, "pending_value": 0}


@dataclass(frozen=True)
class Used:
    """What a campaign's shards have counted: issued, and held for approval."""

    issued_count: int
    issued_value: int
    pending_count: int
    pending_value: int

    @property
    def count(self) -> int:
        return self.issued_count + self.pending_count

    @property
    def value(self) -> int:
        return self.issued_value + self.pending_value


class Short(Exception):
    """The campaign has no room for the taking: ``count`` True when its maximum count is reached,
    else its budget has less than the value left (``budget_left``)."""

    def __init__(self, count: bool, budget_left: int | None):
        super().__init__("count" if count else "budget")
        self.count, self.budget_left = count, budget_left


class Crowded(Exception):
    """The shard tried was short: roll back (letting go of every lock) and take again under the lock."""


class Closed(Exception):
    """The campaign is not the one the issuance read (edited meanwhile) or no longer issues."""


async def open_shards(campaign_id: uuid.UUID, max_rewards: int | None, budget: int | None) -> None:
    """A new campaign's shards, its whole maximum and budget split across them (in the caller's transaction)."""
    rows = ", ".join(f"(${3 * shard + 1}, ${3 * shard + 2}, ${3 * shard + 3}, NULL, NULL, 0, 0, 0, 0)" for shard in range(SHARDS))
    await sql.fetch(_OPEN_SHARDS.format(rows=rows), *(arg for shard in range(SHARDS) for arg in (new_id(), campaign_id, shard)))
    await _spread(campaign_id, max_rewards, budget, SHARDS)


async def _spread(
    campaign_id: uuid.UUID,
    count_left: int | None,
    budget_left: int | None,
    shards: int,
    taken: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> None:
    await sql.fetch(_SPREAD, campaign_id, count_left, budget_left, shards, *taken)


async def _lock_shards(campaign_id: uuid.UUID) -> tuple[list, Used]:
    rows = await sql.fetch(_LOCK_SHARDS, campaign_id)
    used = Used(
        *(sum(int(row[column]) for row in rows) for column in ("issued_count", "issued_value", "pending_count", "pending_value"))
    )
    return rows, used


def _left(rows, column: str) -> int | None:
    values = [row[column] for row in rows]
    return None if not values or values[0] is None else sum(int(value) for value in values)


async def respread(campaign_id: uuid.UUID, max_rewards: int | None, budget: int | None) -> Used:
    """After the campaign row's rules changed (its lock held by the caller's transaction): lock
    every shard and split what the new limits leave. Returns what the shards have counted; raises
    Short when a new limit is below it (the caller refuses the edit and rolls back)."""
    rows, used = await _lock_shards(campaign_id)
    count_short = max_rewards is not None and max_rewards < used.count
    if count_short or (budget is not None and budget < used.value):
        raise Short(count_short, None)
    await _spread(
        campaign_id,
        None if max_rewards is None else max_rewards - used.count,
        None if budget is None else budget - used.value,
        len(rows),
    )
    return used


async def take(
    campaign_id: uuid.UUID, rules_read_at: datetime, value: int, pending: bool, now: datetime, under_lock: bool = False
) -> int:
    """Count one reward of ``value`` (issued, or held when ``pending``) against the campaign's
    maximum and budget; returns the shard it was taken from. In the caller's write transaction;
    the shard stays locked until its commit.

    Without ``under_lock``: one shard, chosen at random; raises Crowded when it is short (the
    caller rolls back and calls again ``under_lock``). With it: decided on the sum, under the
    lock (see the module docstring); raises Short (no room) or Closed (the campaign is not as
    read at ``rules_read_at``, or does not issue now)."""
    taken = (0, 0, 1, value) if pending else (1, value, 0, 0)
    if not under_lock:
        # One try only: a failed UPDATE that waited for a concurrent one keeps that row locked
        # (PostgreSQL locks it before re-checking the WHERE), so a second try, or the lock below,
        # in this transaction could deadlock with a transaction taking every shard.
        shard = random.randrange(SHARDS)
        if await sql.fetch(_TAKE, campaign_id, shard, value, *taken, now, rules_read_at):
            return shard
        raise Crowded(campaign_id)
    if not await sql.fetch(_LOCK_CAMPAIGN, campaign_id, now, rules_read_at):
        raise Closed(campaign_id)
    rows, _ = await _lock_shards(campaign_id)
    count_left, budget_left = _left(rows, "remaining_count"), _left(rows, "remaining_budget")
    if count_left is not None and count_left < 1:
        raise Short(True, budget_left)
    if budget_left is not None and budget_left < value:
        raise Short(False, budget_left)
    await _spread(
        campaign_id,
        None if count_left is None else count_left - 1,
        None if budget_left is None else budget_left - value,
        len(rows),
        taken,
    )
    return 0


async def settle(campaign_id: uuid.UUID, shard: int, value: int, now: datetime) -> bool:
    """A held reward becomes issued; False when the campaign does not issue now (the caller explains)."""
    return bool(await sql.fetch(_SETTLE, campaign_id, shard, value, now))


async def release(campaign_id: uuid.UUID, shard: int, value: int) -> None:
    """A held reward is turned down: its count and value are left to the campaign again."""
    await sql.fetch(_RELEASE, campaign_id, shard, value)


async def totals(campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """Each campaign's counted totals (issued_*, pending_*), summed over its shards."""
    totals: dict[uuid.UUID, dict[str, int]] = {}
    for start in range(0, len(campaign_ids), 500):
        chunk = campaign_ids[start : start + 500]
        wanted = sql.Conditions().in_list("campaign", chunk)
        for row in await sql.fetch(wanted.statement(_TOTALS, tail="GROUP BY campaign"), *wanted.args):
            campaign_id = row["campaign"] if isinstance(row["campaign"], uuid.UUID) else uuid.UUID(str(row["campaign"]))
            totals[campaign_id] = {column: int(row[column] or 0) for column in NO_COUNTS}
    return totals
