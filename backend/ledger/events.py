"""What every change of a wallet leaves behind, in its own transaction: an audit entry and a
``ledger.balance_changed`` outbox event (the loyalty platform's balance sync is built on it).
And the way every use case commits: idempotently, ringing the outbox only after the commit."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from backend.core import audit, idempotency, outbox, sql
from backend.core.authz import Actor
from backend.core.db import current_engine
from backend.ledger.postings import Posted, WalletState

T = TypeVar("T")

BALANCE_CHANGED = "ledger.balance_changed"


def balance_changed_payload(posted: Posted) -> dict:
    """The event's payload: JSON values only (ids as strings, time as ISO 8601 UTC).

    ``sequence`` orders a wallet's events: it is taken under the wallet's row lock, by the UPDATE
    that moves the balances, so it follows commit order with no gaps (1, 2, 3, … per wallet). The
    event with the highest sequence carries the wallet's latest balances; ``occurred_at`` and the
    transfer id are taken before the lock and do not order the events."""
    wallet, transfer = posted.wallet, posted.transfer
    balance = wallet.balance()
    return {
        "programme_id": str(wallet.programme_id),
        "recipient_id": str(wallet.recipient_id),
        "recipient_external_id": wallet.recipient_external_id,
        "wallet_id": str(wallet.id),
        "sequence": wallet.sequence,
        "available": balance.available,
        "pending": balance.pending,
        "posted": balance.posted,
        "transfer_id": str(transfer.id),
        "kind": transfer.kind.value,
        "phase": transfer.phase.value,
        "amount": transfer.amount,
        "reason": transfer.reason,
        "occurred_at": transfer.created_at.isoformat(),
    }


def _balance(wallet: WalletState) -> dict:
    balance = wallet.balance()
    return {"available": balance.available, "pending": balance.pending, "posted": balance.posted}


def announce(actor: Actor, action: str, posted: Posted) -> uuid.UUID:
    """Audit the wallet's change and add the outbox event (both deferred inserts, written with
    the transfer when the use case ends); returns the event id to ring."""
    transfer = posted.transfer
    after = {
        **_balance(posted.wallet),
        "transfer_id": transfer.id,
        "kind": transfer.kind.value,
        "phase": transfer.phase.value,
        "amount": transfer.amount,
        "source": transfer.source.value,
        "reference": transfer.reference,
        "reason": transfer.reason,
    }
    event_id, insert = outbox.event(BALANCE_CHANGED, balance_changed_payload(posted))
    sql.defer(audit.entry(actor, action, "ledger_wallet", posted.wallet.id, before=_balance(posted.wallet_before), after=after))
    sql.defer(insert)
    return event_id


async def commit(
    request: idempotency.Request | None,
    effect: Callable[[list[uuid.UUID]], Awaitable[T]],
    result_type: type[T],
) -> T:
    """Run ``effect(events)`` once per idempotency request in a write transaction; the effect
    appends the outbox events it added, which are rung after the commit. Called inside a
    caller's transaction (no key then), the events wait for the outbox relay instead: ringing
    before that transaction commits would hand the worker events it cannot see yet."""
    events: list[uuid.UUID] = []
    owns_transaction = current_engine().current_transaction.get() is None
    outcome = await idempotency.once(request, lambda: effect(events), result_type)
    if owns_transaction and not outcome.replayed:
        await outbox.ring(events)
    return outcome.value
