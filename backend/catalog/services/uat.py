"""The UAT run that proves a partner's fulfilment path before go-live: a sandbox issuance end to
end through what exists — a code allocated from the offer's real stock and marked sandbox,
confirmed, then released back to stock — recorded as the evidence of the UAT checklist's
automated item. Stock is left as it was.

Delivery on a sandbox channel joins this run once the deliveries domain exists (it sits above
the catalogue, so it will drive the run rather than be called from here).
"""

from __future__ import annotations

import uuid

from backend.catalog.services import allocation
from backend.catalog.services.offer_rows import load_offer
from backend.catalog.tables import VoucherCode
from backend.catalog.views import AVAILABLE, RETIRED, UatRun, UatStep
from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.money import format_money
from backend.partners import checklist
from backend.partners.services import onboarding


async def _smallest_stocked_denomination(offer_id: uuid.UUID) -> int | None:
    row = (
        await VoucherCode.select(VoucherCode.denomination)
        .where(
            VoucherCode.offer == offer_id,
            VoucherCode.status == AVAILABLE,
            VoucherCode.expires_on.is_null() | (VoucherCode.expires_on > utcnow().date()),
        )
        .order_by(VoucherCode.denomination)
        .first()
    )
    return row["denomination"] if row else None


async def run_sandbox_issuance(actor: Actor, partner_id: uuid.UUID, offer_id: uuid.UUID) -> UatRun:
    """Run the sandbox issuance on one of the partner's offers and, if every step passes, complete
    the UAT item "sandbox issuance" with the run's result as evidence — in one transaction, so a
    run that fails (STAGE_LOCKED, OUT_OF_STOCK, …) records nothing but an audit entry."""
    actor.require(Permission.PARTNERS_WRITE)
    actor.require(Permission.CATALOG_WRITE)
    offer = await load_offer(offer_id)
    try:
        if offer.partner_id != partner_id:
            raise DomainError.single(
                "OFFER_OF_ANOTHER_PARTNER", f"'{offer.title}' belongs to {offer.partner_name}", field="offer_id"
            )
        if offer.status == RETIRED:
            raise DomainError.single("OFFER_RETIRED", f"'{offer.title}' is retired", field="offer_id")
        denomination = await _smallest_stocked_denomination(offer_id)
        if denomination is None:
            raise DomainError.single(
                "OUT_OF_STOCK", f"'{offer.title}' has no usable codes: import voucher stock first", field="offer_id"
            )
        issuance_id, steps = new_id(), []
        async with write_transaction():
            allocated = await allocation.allocate_code(actor, offer_id, denomination, issuance_id, sandbox=True)
            steps.append(
                UatStep(
                    "allocated",
                    f"code {allocated.code_masked} ({format_money(denomination, offer.currency)}) allocated from stock, marked sandbox",
                )
            )
            confirmed = await allocation.confirm_allocation(actor, issuance_id)
            steps.append(UatStep("confirmed", f"confirmed at {confirmed.confirmed_at.isoformat()}"))
            released = await allocation.release_allocation(actor, issuance_id)
            if released is None or released.status != AVAILABLE:
                raise DomainError.single("UAT_FAILED", "the sandbox code did not return to stock")
            steps.append(UatStep("released", "code returned to available stock"))
            note = (
                f"Sandbox issuance {issuance_id} on offer '{offer.title}': "
                + "; ".join(f"{step.name}: {step.detail}" for step in steps)
                + ". Result: passed."
            )
            await onboarding.record_automated_check(actor, partner_id, checklist.UAT, checklist.SANDBOX_ISSUANCE, note)
    except DomainError as error:
        async with write_transaction():  # the run's own transaction rolled back; the attempt stays on record
            await audit.record(
                actor,
                "partner.uat_failed",
                "partner",
                partner_id,
                after={"offer_id": offer_id, "error": error.code, "message": str(error)},
            )
        raise
    return UatRun(
        partner_id=partner_id,
        offer_id=offer_id,
        sandbox_issuance_id=issuance_id,
        code_masked=allocated.code_masked,
        denomination=denomination,
        steps=tuple(steps),
        evidence_note=note,
    )
