"""What Piccolo's table definitions cannot say: partial and unique indexes, the balance rules as
a database backstop (CHECK on PostgreSQL, triggers on SQLite, which cannot add a CHECK to an
existing table), and immutable transfers (UPDATE and DELETE refused, like the audit log)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T11:56:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger indexes, balance rules, immutable transfers"

_BOTH = [
    # One wallet per (programme, recipient); one row per system account shard.
    "CREATE UNIQUE INDEX ledger_accounts_one_wallet ON ledger_accounts (programme_id, recipient_id) WHERE kind = 'wallet'",
    "CREATE UNIQUE INDEX ledger_accounts_one_shard ON ledger_accounts (programme_id, kind, shard) WHERE kind <> 'wallet'",
    "CREATE INDEX ledger_accounts_by_recipient ON ledger_accounts (recipient_id) WHERE recipient_id IS NOT NULL",
    # A wallet's history, newest first (ids are UUIDv7: time-ordered).
    "CREATE INDEX ledger_transfers_wallet_history ON ledger_transfers (wallet_account_id, id)",
    "CREATE INDEX ledger_transfers_by_reference ON ledger_transfers (reference) WHERE reference IS NOT NULL",
    "CREATE INDEX ledger_transfers_reversals ON ledger_transfers (reverses_id) WHERE reverses_id IS NOT NULL",
    # The expiry sweep's query: only open reservations are in it.
    "CREATE INDEX ledger_reservations_due ON ledger_reservations (timeout_at) WHERE status = 'pending'",
    "CREATE INDEX adjustment_requests_queue ON adjustment_requests (status, id)",
]


def _account_rule(row: str = "") -> str:
    return (
        f"{row}debits_pending >= 0 AND {row}debits_posted >= 0 AND {row}credits_pending >= 0 AND {row}credits_posted >= 0"
        f" AND ({row}kind <> 'wallet' OR {row}credits_posted - {row}debits_posted - {row}debits_pending >= 0)"
    )


def _reservation_rule(row: str = "") -> str:
    return (
        f"{row}amount > 0 AND {row}posted_amount >= 0 AND {row}posted_amount <= {row}amount"
        f" AND {row}reversed_amount >= 0 AND {row}reversed_amount <= {row}posted_amount"
    )


_POSTGRES = [
    f"ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_balance_rule CHECK ({_account_rule()})",
    "ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_amount_positive CHECK (amount > 0)",
    f"ALTER TABLE ledger_reservations ADD CONSTRAINT ledger_reservations_amounts CHECK ({_reservation_rule()})",
    "ALTER TABLE adjustment_requests ADD CONSTRAINT adjustment_requests_amount_positive CHECK (amount > 0)",
    """CREATE OR REPLACE FUNCTION ledger_transfers_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'ledger_transfers is immutable: correct with a new, linked transfer'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE OR DELETE ON ledger_transfers
       FOR EACH ROW EXECUTE FUNCTION ledger_transfers_refuse_change()""",
]


def _sqlite_check(table: str, event: str, rule: str, name: str) -> str:
    return f"""CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} WHEN NOT ({rule})
       BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"""


_IMMUTABLE = "BEGIN SELECT RAISE(ABORT, 'ledger_transfers is immutable: correct with a new, linked transfer'); END"

_SQLITE = [
    *(
        _sqlite_check("ledger_accounts", event, _account_rule("NEW."), "ledger_accounts_balance_rule")
        for event in ("INSERT", "UPDATE")
    ),
    _sqlite_check("ledger_transfers", "INSERT", "NEW.amount > 0", "ledger_transfers_amount_positive"),
    *(
        _sqlite_check("ledger_reservations", event, _reservation_rule("NEW."), "ledger_reservations_amounts")
        for event in ("INSERT", "UPDATE")
    ),
    _sqlite_check("adjustment_requests", "INSERT", "NEW.amount > 0", "adjustment_requests_amount_positive"),
    f"CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers {_IMMUTABLE}",
    f"CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers {_IMMUTABLE}",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in _BOTH + (_SQLITE if engine.engine_type == "sqlite" else _POSTGRES):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
