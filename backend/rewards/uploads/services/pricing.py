"""The dry run of an upload: what approving it now would do — total value, the campaign's budget
before and after, how many rows would issue or wait for approval, and every row that would be
rejected (a cap reached, the budget exhausted, out of stock, not eligible) with its line — priced
by the issuance domain's own ``price_rewards`` against the campaign's current state.

``price_rewards`` prices requests for recipients that exist. Recipients an upload would create are
created for the dry run inside a transaction that is then rolled back, so they are priced exactly
as approval would issue to them, and nothing is left behind (no recipient, no audit entry).
"""

from __future__ import annotations

import uuid

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.rewards.services.issuance import RewardRequest, price_rewards
from backend.rewards.uploads.services.approval import key_of, load_upload, recipient_ids_for
from backend.rewards.uploads.views import STAGED, PricedUploadRow, UploadPricing

_VALID_ROWS = """SELECT id, line, external_id, recipient_id, new_recipient, offer_id, denomination, points, channel
FROM reward_upload_rows WHERE upload = $1 AND valid ORDER BY line"""


class _DryRun(Exception):
    """Rolls the dry run's transaction back, carrying its result out."""

    def __init__(self, pricing: UploadPricing):
        self.pricing = pricing


async def price_upload(actor: Actor, upload_id: uuid.UUID) -> UploadPricing:
    """Price every valid row of a staged upload, in line order. Writes nothing."""
    actor.require(Permission.REWARDS_WRITE)
    upload = await load_upload(upload_id)
    if upload.status != STAGED:
        raise DomainError.single(
            "UPLOAD_NOT_STAGED", f"'{upload.file_name}' is {upload.status}: a dry run prices a staged upload"
        )
    rows = await sql.fetch(_VALID_ROWS, upload_id)
    if not any(row["recipient_id"] is None for row in rows):
        return await _priced(actor, upload, rows)
    try:
        async with write_transaction():
            raise _DryRun(await _priced(actor, upload, rows))
    except _DryRun as dry_run:
        return dry_run.pricing


async def _priced(actor: Actor, upload, rows) -> UploadPricing:
    ids = await recipient_ids_for(actor, rows)
    ready = [row for row in rows if not isinstance(ids[row["external_id"]], str)]
    values = {row["id"]: row["points"] if row["points"] is not None else row["denomination"] for row in rows}
    batch = await price_rewards(
        actor,
        upload.campaign_id,
        [
            RewardRequest(
                campaign_id=upload.campaign_id,
                recipient_id=ids[row["external_id"]],
                offer_id=row["offer_id"],
                value=values[row["id"]],
                idempotency_key=key_of(row["line"]),
                source_event=f"upload:{upload.id}:line {row['line']}",
                channel=row["channel"],
            )
            for row in ready
        ],
    )
    problems = [
        PricedUploadRow(
            line=ready[priced.index]["line"],
            external_id=ready[priced.index]["external_id"],
            value=values[ready[priced.index]["id"]],
            outcome=priced.outcome,
            message=priced.message,
        )
        for priced in batch.rows
        if priced.outcome not in ("issue", "pending_approval")
    ]
    rejected = dict(batch.rejected_by_code)
    for row in rows:
        if isinstance(ids[row["external_id"]], str):  # the recipient could not be created
            code, _, message = ids[row["external_id"]].partition(": ")
            problems.append(
                PricedUploadRow(
                    line=row["line"], external_id=row["external_id"], value=values[row["id"]], outcome=code, message=message
                )
            )
            rejected[code] = rejected.get(code, 0) + 1
    return UploadPricing(
        upload_id=upload.id,
        campaign_id=upload.campaign_id,
        currency=batch.currency,
        rows_priced=len(rows),
        total_value=batch.total_value,
        budget=batch.budget,
        budget_left_before=batch.budget_left_before,
        budget_left_after=batch.budget_left_after,
        would_issue=batch.would_issue,
        would_pend=batch.would_pend,
        rejected_by_code=rejected,
        problem_rows=tuple(sorted(problems, key=lambda row: row.line)),
    )
