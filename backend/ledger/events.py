"""What every change of a wallet leaves behind, in its own transaction: an audit entry and a
``ledger.balance_changed`` outbox event (the loyalty platform's balance sync is built on it).
And the way every use case commits: idempotently, ringing the outbox only after the commit."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson

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
    event_id, inserts = announcement(actor, action, posted)
    for insert in inserts:
        sql.defer(insert)
    return event_id


def announcement(
    actor: Actor, action: str, posted: Posted, wallet_columns: str | None = None, rung: bool = False
) -> tuple[uuid.UUID, list[sql.Statement]]:
    """What :func:`announce` defers, as statements, and the event id. With ``wallet_columns`` (the
    deciding row's wallet columns in ``sql.fetch_chained``, e.g. ``"d."``) the database fills in
    the balances, which ``posted`` does not know yet. ``rung``: see ``outbox.event``."""
    transfer = posted.transfer
    before: dict | sql.Expr
    after: dict | sql.Expr = {
        "transfer_id": transfer.id,
        "kind": transfer.kind.value,
        "phase": transfer.phase.value,
        "amount": transfer.amount,
        "source": transfer.source.value,
        "reference": transfer.reference,
        "reason": transfer.reason,
    }
    payload: dict | sql.Expr = balance_changed_payload(posted)
    if wallet_columns is None:
        before, after = _balance(posted.wallet_before), {**_balance(posted.wallet), **after}
    else:
        then, now = posted.wallet_before.balance(), posted.wallet.balance()
        before = balances_sql(
            {}, wallet_columns, (then.available - now.available, then.pending - now.pending, then.posted - now.posted)
        )
        after, payload = balances_sql(after, wallet_columns), balances_sql(payload, wallet_columns, owner=True, sequence=True)
    event_id, insert = outbox.event(BALANCE_CHANGED, payload, rung=rung)
    return event_id, [audit.entry(actor, action, "ledger_wallet", posted.wallet.id, before=before, after=after), insert]


def balances_sql(
    known: Any,
    wallet_columns: str,
    shift: tuple[int, int, int] = (0, 0, 0),
    *,
    owner: bool = False,
    sequence: bool = False,
    at: str | None = None,
) -> sql.Expr:
    """``known`` (a dict or a dataclass, as JSON) with its available, pending and posted points
    (plus ``shift``), with ``owner`` the recipient's external id, and with ``sequence`` the
    wallet's sequence, as the database has them in ``wallet_columns``; under the key ``at`` of
    ``known`` instead of at its top, if given.
    (orjson: a fifth of the Python time of a one-statement use case went to ``json``.)"""
    return sql.Expr(_balances_sql_text(wallet_columns, owner, sequence, at), (_json(known), *shift))


@functools.lru_cache(maxsize=64)
def _balances_sql_text(wallet_columns: str, owner: bool, sequence: bool, at: str | None) -> str:
    c = wallet_columns
    values = (
        f"'available', {c}credits_posted - {c}debits_posted - {c}debits_pending + $2, 'pending', {c}debits_pending + $3, "
        f"'posted', {c}credits_posted - {c}debits_posted + $4"
    )
    if owner:
        values += f", 'recipient_external_id', {c}recipient_external_id"
    if sequence:
        values += f", 'sequence', {c}sequence"
    if at is None:
        return f"$1::jsonb || jsonb_build_object({values})"
    return f"jsonb_set($1::jsonb, '{{{at}}}', ($1::jsonb -> '{at}') || jsonb_build_object({values}))"


def _json(value: Any) -> str:
    """As ``idempotency.encode`` then ``json.dumps`` would write it: UUIDs and enums by value,
    aware datetimes in ISO 8601, dataclasses by their fields."""
    return orjson.dumps(value, default=str).decode()


async def commit(
    request: idempotency.Request | None,
    effect: Callable[[list[uuid.UUID]], Awaitable[T]],
    result_type: type[T],
    at_once: Callable[[], Awaitable[tuple[T, uuid.UUID] | None]] | None = None,
) -> T:
    """Run ``effect(events)`` once per idempotency request in a write transaction; the effect
    appends the outbox events it added, which are rung after the commit. Called inside a
    caller's transaction (no key then), the events wait for the outbox relay instead: ringing
    before that transaction commits would hand the worker events it cannot see yet.

    ``at_once``: the same use case as one statement (``ledger.at_once``), tried first on
    PostgreSQL (in a caller's transaction, one statement of it); it returns the result and the
    event to ring, or None, having changed nothing, and then the effect runs."""
    events: list[uuid.UUID] = []
    owns_transaction = current_engine().current_transaction.get() is None
    if at_once is not None and not sql.is_sqlite():
        done = await at_once()
        if done is not None:
            if owns_transaction:
                # Stamped as ``at_once`` wrote it (a doorbell set or taken away meanwhile at worst
                # leaves the event to the relay).
                await outbox.ring([done[1]], stamped=outbox.doorbell() is not None)
            return done[0]
    outcome = await idempotency.once(request, lambda: effect(events), result_type)
    if owns_transaction and not outcome.replayed:
        await outbox.ring(events)
    return outcome.value
