"""Allocating voucher codes to issuances, atomically: one code never goes to two issuances.

The allocation is one conditional UPDATE: it picks the next available code (earliest expiry
first) in a subselect and claims it only ``WHERE status = 'available' AND allocated_to IS NULL``,
so of two transactions that picked the same code, one claims it and the other claims nothing. On
PostgreSQL the subselect also says ``FOR UPDATE SKIP LOCKED``, so concurrent allocations pick
different codes instead of queueing on the same one; on SQLite the IMMEDIATE write transaction
runs them one at a time. A unique index on ``allocated_to`` makes an issuance hold one code at most.

Life of an allocation: allocated → confirmed (delivered), or released (back to available). A
sandbox allocation (UAT) may be released even after confirmation; a real confirmed code may not.
Real allocations need ``rewards:write``; sandbox ones ``catalog:write``.
"""

from __future__ import annotations

import uuid
from datetime import date

from backend.catalog.services.offer_rows import load_offer
from backend.catalog.tables import VoucherCode
from backend.catalog.views import (
    ALLOCATED,
    AVAILABLE,
    CONFIRMED,
    RETIRED,
    VOIDED,
    RevealedCode,
    VoucherCodeView,
    as_date,
    maybe_utc,
)
from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import current_engine, write_transaction
from backend.core.db_errors import is_unique_violation
from backend.core.encryption import mask, secret_box
from backend.core.errors import DomainError
from backend.core.money import format_money

PIN_MASK = "•" * 8
VOIDED_MASK = "(voided)"

_ALLOCATE = """
UPDATE voucher_codes SET status = 'allocated', allocated_to = {}, allocated_at = {}, sandbox = {}
WHERE id = (
    SELECT id FROM voucher_codes
    WHERE offer = {} AND denomination = {} AND status = 'available' AND (expires_on IS NULL OR expires_on > {})
    ORDER BY expires_on ASC NULLS LAST, id
    LIMIT 1 /*lock*/
) AND status = 'available' AND allocated_to IS NULL
RETURNING id
"""


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def code_view(row: dict) -> VoucherCodeView:
    """The code and pin masked: opened only to show their last characters. A voided code is never
    opened again, not even masked."""
    box, context = secret_box(), str(row["id"])
    voided = row["status"] == VOIDED
    return VoucherCodeView(
        id=row["id"],
        offer_id=row["offer"],
        code_masked=VOIDED_MASK if voided else mask(box.open(row["code_sealed"], context)),
        pin_masked=PIN_MASK if row["pin_sealed"] and not voided else None,  # a pin is short: no character of it is shown
        denomination=row["denomination"],
        expires_on=as_date(row["expires_on"]),
        status=row["status"],
        allocated_to=row["allocated_to"],
        sandbox=bool(row["sandbox"]),
        allocated_at=maybe_utc(row["allocated_at"]),
        confirmed_at=maybe_utc(row["confirmed_at"]),
    )


async def held_by(issuance_id: uuid.UUID) -> dict | None:
    return await VoucherCode.select().where(VoucherCode.allocated_to == issuance_id).first()


def _require_permission(actor: Actor, sandbox: bool) -> None:
    actor.require(Permission.CATALOG_WRITE if sandbox else Permission.REWARDS_WRITE)


def _require_some_permission(actor: Actor) -> None:
    """Before reading an allocation: an actor with neither permission learns nothing about it."""
    if not actor.can(Permission.CATALOG_WRITE):
        actor.require(Permission.REWARDS_WRITE)


def audit_fields(row: dict) -> dict:
    return {
        "issuance_id": row["allocated_to"],
        "offer_id": row["offer"],
        "denomination": row["denomination"],
        "sandbox": bool(row["sandbox"]),
        "status": row["status"],
    }


async def claim_available(
    issuance_id: uuid.UUID, offer_id: uuid.UUID, denomination: int, sandbox: bool, today: date
) -> uuid.UUID | None:
    lock = "FOR UPDATE SKIP LOCKED" if current_engine().engine_type == "postgres" else ""
    try:
        rows = await VoucherCode.raw(
            _ALLOCATE.replace("/*lock*/", lock), issuance_id, utcnow(), sandbox, offer_id, denomination, today
        )
    except Exception as error:
        if is_unique_violation(error):  # a concurrent call for the same issuance claimed a code first
            raise DomainError.single(
                "ISSUANCE_HAS_CODE", f"issuance {issuance_id} is being allocated a code by another call; retry to read it"
            ) from None
        raise
    return _uuid(rows[0]["id"]) if rows else None


async def allocate_code(
    actor: Actor, offer_id: uuid.UUID, denomination: int, issuance_id: uuid.UUID, *, sandbox: bool = False
) -> VoucherCodeView:
    """Give the issuance one available code of this offer and denomination (earliest expiry first).

    Idempotent per issuance: calling again returns the code it already holds. Errors:
    OFFER_NOT_AVAILABLE (not live, or its partner is not live; sandbox allocations only need an
    offer that is not retired), INVALID_DENOMINATION, OUT_OF_STOCK, ISSUANCE_HAS_CODE (the issuance
    holds a code of another offer or denomination)."""
    _require_permission(actor, sandbox)
    offer = await load_offer(offer_id)
    if not offer.denominations.allows(denomination):
        raise DomainError.single(
            "INVALID_DENOMINATION",
            f"{format_money(denomination, offer.currency)} is not a denomination of '{offer.title}' "
            f"({offer.denominations.describe(offer.currency)})",
            field="denomination",
        )
    if (offer.status == RETIRED) if sandbox else not offer.is_available:
        raise DomainError.single(
            "OFFER_NOT_AVAILABLE",
            f"'{offer.title}' is {offer.status} and its partner {offer.partner_status}: nothing can be allocated",
            field="offer_id",
        )
    async with write_transaction():
        held = await held_by(issuance_id)
        if held is not None:
            if held["offer"] != offer_id or held["denomination"] != denomination or bool(held["sandbox"]) != sandbox:
                raise DomainError.single(
                    "ISSUANCE_HAS_CODE", f"issuance {issuance_id} already holds a code of another offer or denomination"
                )
            return code_view(held)
        code_id = await claim_available(issuance_id, offer_id, denomination, sandbox, utcnow().date())
        if code_id is None:
            raise DomainError.single(
                "OUT_OF_STOCK",
                f"no {format_money(denomination, offer.currency)} code of '{offer.title}' is available",
                field="denomination",
            )
        row = await VoucherCode.select().where(VoucherCode.id == code_id).first()
        await audit.record(actor, "voucher_code.allocated", "voucher_code", code_id, after=audit_fields(row))
        return code_view(row)


async def confirm_allocation(actor: Actor, issuance_id: uuid.UUID) -> VoucherCodeView:
    """The issuance's code was delivered: it never returns to stock. Idempotent. NO_ALLOCATION if
    the issuance holds no code."""
    _require_some_permission(actor)
    async with write_transaction():
        held = await held_by(issuance_id)
        if held is None:
            raise DomainError.single("NO_ALLOCATION", f"issuance {issuance_id} holds no code", field="issuance_id")
        _require_permission(actor, bool(held["sandbox"]))
        if held["status"] == CONFIRMED:
            return code_view(held)
        rows = (
            await VoucherCode.update({VoucherCode.status: CONFIRMED, VoucherCode.confirmed_at: utcnow()})
            .where(VoucherCode.id == held["id"], VoucherCode.status == ALLOCATED, VoucherCode.allocated_to == issuance_id)
            .returning(VoucherCode.id)
        )
        if not rows:
            raise DomainError.single(
                "NO_ALLOCATION", f"the code of issuance {issuance_id} was released meanwhile", field="issuance_id"
            )
        row = await VoucherCode.select().where(VoucherCode.id == held["id"]).first()
        await audit.record(actor, "voucher_code.confirmed", "voucher_code", held["id"], after=audit_fields(row))
        return code_view(row)


async def release_allocation(actor: Actor, issuance_id: uuid.UUID) -> VoucherCodeView | None:
    """Put the issuance's code back in stock (the issuance failed or was cancelled). Returns the
    code as it is now, or None when the issuance holds none (a repeated release). A confirmed
    code stays out of stock (CODE_CONFIRMED), except a sandbox one."""
    _require_some_permission(actor)
    async with write_transaction():
        held = await held_by(issuance_id)
        if held is None:
            return None
        _require_permission(actor, bool(held["sandbox"]))
        if held["status"] == CONFIRMED and not held["sandbox"]:
            raise DomainError.single(
                "CODE_CONFIRMED",
                f"the code of issuance {issuance_id} was delivered; it cannot return to stock",
                field="issuance_id",
            )
        rows = (
            await VoucherCode.update(
                {
                    VoucherCode.status: AVAILABLE,
                    VoucherCode.allocated_to: None,
                    VoucherCode.allocated_at: None,
                    VoucherCode.sandbox: False,
                    VoucherCode.confirmed_at: None,
                }
            )
            .where(VoucherCode.id == held["id"], VoucherCode.allocated_to == issuance_id)
            .returning(VoucherCode.id)
        )
        if not rows:
            return None
        row = await VoucherCode.select().where(VoucherCode.id == held["id"]).first()
        await audit.record(
            actor, "voucher_code.released", "voucher_code", held["id"], before=audit_fields(held), after={"status": AVAILABLE}
        )
        return code_view(row)


async def allocation_for(actor: Actor, issuance_id: uuid.UUID) -> VoucherCodeView | None:
    """The code an issuance holds, masked; None if it holds none."""
    actor.require(Permission.REWARDS_READ)
    held = await held_by(issuance_id)
    return code_view(held) if held else None


async def reveal_code(actor: Actor, issuance_id: uuid.UUID) -> RevealedCode:
    """The issuance's code and pin in clear, for its delivery. Each reveal is audited (without the code)."""
    actor.require(Permission.REWARDS_WRITE)
    held = await held_by(issuance_id)
    if held is None:
        raise DomainError.single("NO_ALLOCATION", f"issuance {issuance_id} holds no code", field="issuance_id")
    box, context = secret_box(), str(held["id"])
    async with write_transaction():
        await audit.record(actor, "voucher_code.revealed", "voucher_code", held["id"], after={"issuance_id": issuance_id})
    return RevealedCode(
        issuance_id=issuance_id,
        code=box.open(held["code_sealed"], context),
        pin=box.open(held["pin_sealed"], context) if held["pin_sealed"] else None,
        denomination=held["denomination"],
        expires_on=as_date(held["expires_on"]),
    )
