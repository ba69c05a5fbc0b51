"""A ledger use case as one statement, on PostgreSQL: earn, reserve, confirm and release, the hot
paths of issuance and redemption.

The general way (``events.commit``) is a transaction: BEGIN, the wallet's move, one statement with
the rest (``sql.defer``), COMMIT: four round trips, with the wallet row locked across three. Here
the move and everything that follows from it, the idempotency record included, are one autocommit
statement (``sql.fetch_chained``): one round trip, the wallet locked for one statement. Inside a
caller's transaction (an issuance crediting points) it is one statement of that transaction
instead of two. What only the database knows then, the wallet's balances after the move, it fills
in itself, in the audit entry, the outbox event and the stored first result (``events.balances_sql``).

It either does the whole use case or changes nothing, and then says so (None): a refusal, a
replay, a wallet it does not know. The caller then goes the general way, which explains the
refusal or replays the first result: those rules stay in one place.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from backend.core import idempotency, outbox, sql
from backend.core.authz import Actor
from backend.core.db import current_engine
from backend.core.idempotency import Request
from backend.ledger.accounts import forget_wallet_id
from backend.ledger.events import announcement, balances_sql
from backend.ledger.postings import NewTransfer, Posted, WalletState, after_move, transfer_writes

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Move:
    """The statement that moves the wallet (its WHERE is the rule: no overdraft, a pending
    reservation, …), and where its RETURNING has the wallet's columns (``prefix``)."""

    statement: sql.Statement
    prefix: str = ""


async def post(
    actor: Actor,
    request: Request | None,
    move: Move,
    wallet: WalletState,
    new: NewTransfer,
    transfer_id: uuid.UUID,
    now: datetime,
    action: str,
    result: Callable[[Posted], T],
    also: tuple[sql.Statement, ...] = (),
) -> tuple[T, uuid.UUID] | None:
    """Post ``new`` to ``wallet`` (whose balances are unknown yet: ``WalletState.unknown``) in one
    statement with the writes ``also`` needs, the audit entry, the outbox event and the request's
    record; returns ``result`` of what was posted and the event to ring, or None: nothing changed.

    ``result(posted)`` must read the balances only through ``posted.wallet.balance()``, as a
    top-level ``balance``: the stored first result takes them from the database there."""
    posted, writes = transfer_writes(actor, wallet, new, transfer_id, now)
    columns = f"d.{move.prefix}"
    # On its own (not in a caller's transaction) the statement commits itself and ``events.commit``
    # rings its event right after: with Redis to ring, the event is written stamped as handed
    # over (``outbox.event``).
    rung = current_engine().current_transaction.get() is None and outbox.doorbell() is not None
    event_id, notices = announcement(actor, action, posted, wallet_columns=columns, rung=rung)
    then = [*writes, *also, *notices]
    if request is not None:
        stored = idempotency.record(request, balances_sql(result(posted), columns, owner=True, at="balance"))
        then.append(dataclasses.replace(stored, refusal=_replay))  # a key used before: the statement fails whole
    row = await sql.fetch_chained(move.statement, then)
    if row is None:
        # The wallet's id may be remembered from a transaction that created it and rolled back
        # (or too few points: then reading the id again is cheap).
        forget_wallet_id(wallet.programme_id, wallet.recipient_id)
        return None
    return result(after_move(posted, WalletState.of(row, prefix=move.prefix))), event_id


async def _replay() -> Exception:  # never raised: fetch_chained answers None, and the general way replays
    return RuntimeError("an earlier call with this idempotency key")
