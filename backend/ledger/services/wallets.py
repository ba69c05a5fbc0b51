"""Wallets: open one, read its balance, find a recipient's wallets."""

from __future__ import annotations

import uuid

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.ledger import accounts
from backend.ledger.errors import LedgerErrorCode, refused
from backend.ledger.postings import WalletState
from backend.ledger.views import Balance

_WALLET = """SELECT a.id, a.programme_id, a.recipient_id, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted,
    a.sequence, r.external_id AS recipient_external_id
FROM ledger_accounts a JOIN recipient_directory r ON r.id = a.recipient_id
WHERE a.kind = 'wallet' AND """


async def open_wallet(actor: Actor, programme_id: uuid.UUID, recipient_id: uuid.UUID) -> Balance:
    """The recipient's wallet in the programme, created if it does not exist yet (idempotent by
    nature: a second call returns the same wallet)."""
    actor.require(Permission.POINTS_WRITE)
    async with write_transaction():
        wallet_id, created = await accounts.open_wallet(programme_id, recipient_id)
        if created:
            await audit.record(
                actor,
                "ledger.wallet_opened",
                "ledger_wallet",
                wallet_id,
                after={"programme_id": programme_id, "recipient_id": recipient_id},
            )
    return await _balance_of(programme_id, recipient_id)


async def balance(actor: Actor, programme_id: uuid.UUID, recipient_id: uuid.UUID) -> Balance:
    """Available, pending and posted points; all zero (and no wallet id) if the recipient has no
    wallet in the programme yet."""
    actor.require(Permission.POINTS_READ)
    return await _balance_of(programme_id, recipient_id)


async def wallet_balance(actor: Actor, wallet_id: uuid.UUID) -> Balance:
    actor.require(Permission.POINTS_READ)
    row = await sql.fetchrow(_WALLET + "a.id = $1", wallet_id)
    if row is None:
        raise refused(LedgerErrorCode.WALLET_NOT_FOUND, f"wallet {wallet_id} does not exist", "wallet_id")
    return WalletState.of(row).balance()


async def wallets_of(actor: Actor, recipient_id: uuid.UUID) -> list[Balance]:
    """A recipient's wallets, one per programme they have points in (oldest first)."""
    actor.require(Permission.POINTS_READ)
    rows = await sql.fetch(_WALLET + "a.recipient_id = $1 ORDER BY a.id", recipient_id)
    return [WalletState.of(row).balance() for row in rows]


async def _balance_of(programme_id: uuid.UUID, recipient_id: uuid.UUID) -> Balance:
    row = await sql.fetchrow(_WALLET + "a.programme_id = $1 AND a.recipient_id = $2", programme_id, recipient_id)
    if row is not None:
        return WalletState.of(row).balance()
    await accounts.require_owner(programme_id, recipient_id)
    external = await sql.fetchrow("SELECT external_id FROM recipient_directory WHERE id = $1", recipient_id)
    return Balance(
        programme_id=programme_id,
        recipient_id=recipient_id,
        recipient_external_id=external["external_id"],
        wallet_id=None,
        available=0,
        pending=0,
        posted=0,
    )


async def insufficient(programme_id: uuid.UUID, recipient_id: uuid.UUID, amount: int) -> DomainError:
    """Why a debit of ``amount`` was refused, once its conditional update changed no row."""
    available = (await _balance_of(programme_id, recipient_id)).available  # raises for an unknown programme or recipient
    return refused(LedgerErrorCode.INSUFFICIENT_POINTS, f"{available:,} points available, {amount:,} needed", "amount")
