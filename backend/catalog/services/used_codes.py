"""Which issued reward a voucher code belongs to, for a partner reporting its codes used. A code
is found by its keyed digest only (the partner's id + the code), as the stock import stores it:
the code itself is never compared or kept in clear."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.catalog.services.stock_import import code_digest
from backend.core import sql


@dataclass(frozen=True)
class IssuedCode:
    offer_id: uuid.UUID
    issuance_id: uuid.UUID
    denomination: int


async def issued_codes(partner_id: uuid.UUID, codes: list[str]) -> dict[str, IssuedCode]:
    """The partner's codes among ``codes`` that are held by an issuance (not sandbox), by code."""
    digests = {code_digest(partner_id, code): code for code in set(codes)}
    if not digests:
        return {}
    held = sql.Conditions().in_list("code_digest", digests)
    held.add_clause("allocated_to IS NOT NULL AND sandbox = FALSE")
    rows = await sql.fetch(held.statement("SELECT code_digest, offer, allocated_to, denomination FROM voucher_codes"), *held.args)
    return {
        digests[row["code_digest"]]: IssuedCode(_uuid(row["offer"]), _uuid(row["allocated_to"]), row["denomination"])
        for row in rows
    }


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
