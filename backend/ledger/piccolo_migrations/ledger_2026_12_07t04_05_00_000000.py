"""A wallet's sequence starts where its history is: every move of a wallet wrote exactly one
transfer, so the number of its transfers is the number of moves so far, and the next balance event
carries the next number."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T04:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger_accounts.sequence of existing wallets: their transfer count"

_STATEMENTS = [
    """UPDATE ledger_accounts SET sequence = (
        SELECT COUNT(*) FROM ledger_transfers t WHERE t.wallet_account_id = ledger_accounts.id
    ) WHERE kind = 'wallet'""",
]


async def forwards():
    return ddl_migration(ID, "ledger", DESCRIPTION, _STATEMENTS)
