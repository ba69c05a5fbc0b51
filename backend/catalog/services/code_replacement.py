"""Replacing an issuance's voucher code with another from stock (a code the partner refuses, one
already used): the old code is voided (out of stock for good, never opened again) and a new code
of the same offer and denomination is claimed for the issuance, in one transaction, so the reward
always holds exactly one code. The new code takes the old one's place: confirmed if the old one
was (the reward was delivered), else allocated (its delivery confirms it).

The claim is the allocation's conditional UPDATE (``allocation.claim_available``): two replacements at once
never take the same code, and OUT_OF_STOCK changes nothing (the void is rolled back with it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.catalog.services.allocation import audit_fields, claim_available, code_view, held_by
from backend.catalog.services.offer_rows import load_offer
from backend.catalog.tables import VoucherCode
from backend.catalog.views import CONFIRMED, VOIDED, VoucherCodeView
from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.money import format_money

_VOID = """UPDATE voucher_codes SET status = $3, allocated_to = NULL, voided_from = $2, voided_at = $4
WHERE id = $1 AND allocated_to = $2 RETURNING id"""


@dataclass(frozen=True)
class ReplacedCode:
    voided_code_id: uuid.UUID
    code: VoucherCodeView  # the new one, masked


async def replace_code(actor: Actor, issuance_id: uuid.UUID, reason: str = "") -> ReplacedCode:
    """Void the code the issuance holds and give it another of the same offer and denomination.
    Errors: NO_ALLOCATION (the issuance holds no code), OUT_OF_STOCK."""
    actor.require(Permission.REWARDS_WRITE)
    async with write_transaction():
        held = await held_by(issuance_id)
        if held is None:
            raise DomainError.single("NO_ALLOCATION", f"reward {issuance_id} holds no voucher code", field="issuance_id")
        now = utcnow()
        if not await sql.fetch(_VOID, held["id"], issuance_id, VOIDED, now):
            raise DomainError.single("NO_ALLOCATION", f"the code of reward {issuance_id} changed meanwhile", field="issuance_id")
        new_id = await claim_available(issuance_id, held["offer"], held["denomination"], bool(held["sandbox"]), now.date())
        if new_id is None:
            raise DomainError.single(
                "OUT_OF_STOCK",
                f"no other {format_money(held['denomination'], (await load_offer(held['offer'])).currency)} code of this offer is available",
                field="issuance_id",
            )
        if held["status"] == CONFIRMED:
            await sql.fetch("UPDATE voucher_codes SET status = $2, confirmed_at = $3 WHERE id = $1", new_id, CONFIRMED, now)
        await audit.record(
            actor,
            "voucher_code.voided",
            "voucher_code",
            held["id"],
            before=audit_fields(held),
            after={"status": VOIDED, "replaced_by": new_id, "reason": reason[:500]},
        )
        row = await VoucherCode.select().where(VoucherCode.id == new_id).first()
        await audit.record(
            actor, "voucher_code.allocated", "voucher_code", new_id, after=audit_fields(row) | {"replaces": held["id"]}
        )
        return ReplacedCode(voided_code_id=held["id"], code=code_view(row))
