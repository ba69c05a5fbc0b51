"""A CSV of codes a partner reports used, checked before anything is recorded: each line matched
to an issued reward of that partner, already recorded, or unmatched. Nothing is written; the
console shows this review, then records the same file through ``redemptions.report_used_codes_file``."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import BinaryIO

from backend.catalog.services import used_codes
from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.insights.redemptions import MAX_CODES, PARTNER_REPORT, read_used_codes_file

MATCHED, ALREADY_RECORDED, UNMATCHED = "matched", "already_recorded", "unmatched"


@dataclass(frozen=True)
class ReviewedCode:
    line: int
    masked_code: str  # the last characters only: codes are never shown in clear
    used_at: datetime | None
    status: str  # matched | already_recorded | unmatched
    issuance_id: uuid.UUID | None


@dataclass(frozen=True)
class UsedCodesReview:
    rows: list[ReviewedCode]
    zone: str  # the IANA name of the zone a used_at without one was read in, said beside the review

    @property
    def counts(self) -> Counter:
        return Counter(row.status for row in self.rows)


def mask(code: str) -> str:
    code = code.strip()
    return "•" * max(len(code) - 4, 0) + code[-4:] if len(code) > 4 else "•" * len(code)


async def _recorded(issuance_ids: list[uuid.UUID]) -> set[str]:
    """The issuances whose reported redemption is recorded already (a file sent twice)."""
    if not issuance_ids:
        return set()
    where = sql.Conditions()
    where.add("kind = ?", "redeemed")
    where.add("source = ?", PARTNER_REPORT)
    where.in_list("source_ref", [str(issuance_id) for issuance_id in issuance_ids])
    rows = await sql.fetch(where.statement("SELECT source_ref FROM insight_event_keys"), *where.args)
    return {row["source_ref"] for row in rows}


async def review_used_codes(actor: Actor, partner_id: uuid.UUID, file: BinaryIO, *, zone: tzinfo = UTC) -> UsedCodesReview:
    """Every line of the file with what recording it would do (FILE_INVALID for a bad file); a
    ``used_at`` without a zone read in ``zone``, as recording it with the same zone will."""
    actor.require(Permission.CATALOG_WRITE)
    used = read_used_codes_file(file, zone=zone)
    rows: list[ReviewedCode] = []
    seen: set[uuid.UUID] = set()
    for start in range(0, len(used), MAX_CODES):
        chunk = used[start : start + MAX_CODES]
        found = await used_codes.issued_codes(partner_id, [item.code.strip() for _, item in chunk])
        recorded = await _recorded(list({code.issuance_id for code in found.values()}))
        for line, item in chunk:
            code = found.get(item.code.strip())
            if code is None:
                status, issuance_id = UNMATCHED, None
            else:
                issuance_id = code.issuance_id
                # A code named twice counts once, at its first line, as the recording does.
                status = ALREADY_RECORDED if str(issuance_id) in recorded or issuance_id in seen else MATCHED
                seen.add(issuance_id)
            rows.append(ReviewedCode(line, mask(item.code), item.used_at, status, issuance_id))
    return UsedCodesReview(rows, getattr(zone, "key", None) or "UTC")
