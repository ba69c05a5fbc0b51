"""Each campaign's counters into its shards, then the campaign's own counter columns go.

Shard 0 takes what the campaign had counted (issued and pending: its existing grants keep
``counter_shard`` 0); what is left of the maximum count and the budget is split over the shards
as ``services/counters.py`` splits it. The campaign's CHECK (triggers on SQLite) on the old
columns goes; each shard gets its own: never below zero. (The whole-campaign rule — the sum within
the maximum — is what the escrow keeps: a shard can never go below zero.)
"""

from backend.core import sql
from backend.core.ids import new_id
from backend.core.migrate import ddl_migration

ID = "2026-12-07T04:11:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "campaign counters moved into shards"

SHARDS = 64  # counters.SHARDS when this migration was written
_COUNTERS = ("issued_count", "issued_value", "pending_count", "pending_value")

_SHARD_RULE = (
    "{row}issued_count >= 0 AND {row}issued_value >= 0 AND {row}pending_count >= 0 AND {row}pending_value >= 0"
    " AND ({row}remaining_count IS NULL OR {row}remaining_count >= 0)"
    " AND ({row}remaining_budget IS NULL OR {row}remaining_budget >= 0)"
)

_BOTH = ["CREATE UNIQUE INDEX campaign_counter_shards_once ON campaign_counter_shards (campaign, shard)"]

_POSTGRES = [
    "ALTER TABLE campaigns DROP CONSTRAINT campaigns_counter_rule",
    f"ALTER TABLE campaign_counter_shards ADD CONSTRAINT campaign_counter_shards_rule CHECK ({_SHARD_RULE.format(row='')})",
]

_SQLITE = [
    *(f"DROP TRIGGER campaigns_counter_rule_{event}" for event in ("insert", "update")),
    *(
        f"""CREATE TRIGGER campaign_counter_shards_rule_{event.lower()} BEFORE {event} ON campaign_counter_shards
           WHEN NOT ({_SHARD_RULE.format(row="NEW.")})
           BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: campaign_counter_shards_rule'); END"""
        for event in ("INSERT", "UPDATE")
    ),
]

_INSERT = """INSERT INTO campaign_counter_shards (id, campaign, shard, remaining_count, remaining_budget, issued_count,
    issued_value, pending_count, pending_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"""


def _share(left: int | None, shard: int) -> int | None:
    return None if left is None else max(left, 0) // SHARDS + (shard < max(left, 0) % SHARDS)


async def _move_counters() -> None:
    for row in await sql.fetch(f"SELECT id, max_rewards, budget, {', '.join(_COUNTERS)} FROM campaigns"):
        used_count, used_value = row["issued_count"] + row["pending_count"], row["issued_value"] + row["pending_value"]
        count_left = None if row["max_rewards"] is None else row["max_rewards"] - used_count
        budget_left = None if row["budget"] is None else row["budget"] - used_value
        for shard in range(SHARDS):
            counted = [row[column] if shard == 0 else 0 for column in _COUNTERS]
            await sql.fetch(_INSERT, new_id(), row["id"], shard, _share(count_left, shard), _share(budget_left, shard), *counted)


async def forwards():
    manager = ddl_migration(ID, "campaigns", DESCRIPTION, _BOTH, sqlite=_SQLITE, postgres=_POSTGRES)
    manager.add_raw(_move_counters)  # after the rules, before the columns go (raw runs first)
    for column in _COUNTERS:
        manager.drop_column(table_class_name="Campaign", tablename="campaigns", column_name=column, db_column_name=column)
    return manager
