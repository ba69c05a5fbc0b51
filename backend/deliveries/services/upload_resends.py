"""Resending every failed delivery of an upload, in the worker rather than in the admin's request
(an upload of 100,000 rewards may have thousands to resend).

The request (:func:`request_resend_of_upload`) is audited and written as a
``deliveries.upload_resend_requested`` outbox event, so Redis losing it loses nothing; its handler
enqueues the first run (jobs/deliveries.py). A run (:func:`resend_some`) resends the upload's failed
deliveries ``resending.MAX_SELECTION`` at a time, in id order after a cursor (one refused for good,
an expired reward, is passed over, not retried for ever), until none is left or its time budget is
spent; it then names the cursor for the next run. Progress shows where the admin looks: the upload's
delivered / pending / failed counts move as the runs go, and each run logs what it did. A run done
twice resends nothing twice: a delivery resent is no longer failed.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from backend.core import audit, outbox, sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.db import write_transaction
from backend.deliveries.services import resending
from backend.deliveries.views import FAILED

UPLOAD_RESEND_REQUESTED = "deliveries.upload_resend_requested"


async def request_resend_of_upload(actor: Actor, upload_id: uuid.UUID) -> int:
    """Ask the worker to resend every failed delivery of the upload; how many are failed now."""
    actor.require(Permission.DELIVERIES_WRITE)
    row = await sql.fetchrow("SELECT COUNT(*) AS n FROM deliveries WHERE upload_id = $1 AND status = $2", upload_id, FAILED)
    failed = int(row["n"])
    if not failed:
        return 0
    async with write_transaction():
        await audit.record(actor, "deliveries.upload_resend_requested", "upload", upload_id, after={"failed": failed})
        event_id = await outbox.add(UPLOAD_RESEND_REQUESTED, {"upload_id": str(upload_id), "requested_by": actor.label})
    await outbox.ring([event_id])  # after commit; the relay is the safety net
    return failed


def worker_for(requested_by: str) -> Actor:
    # Resent on the admin's behalf; the audit log names the worker doing it.
    return Actor(kind=ActorKind.SYSTEM, id=None, label=f"worker, for {requested_by}")


@dataclass(frozen=True)
class RunReport:
    resent: int
    refused: int
    after: uuid.UUID | None  # the cursor for the next run; None: nothing left
    remaining: int  # failed deliveries of the upload after the cursor


async def resend_some(actor: Actor, upload_id: uuid.UUID, after: uuid.UUID | None, time_budget: float) -> RunReport:
    deadline = time.monotonic() + time_budget
    resent = refused = 0
    while True:
        ids = await _failed_after(upload_id, after, resending.MAX_SELECTION)
        if not ids:
            return RunReport(resent, refused, None, 0)
        report = await resending.resend(actor, ids)
        resent, refused, after = resent + len(report.resent), refused + len(report.refused), ids[-1]
        if len(ids) < resending.MAX_SELECTION:
            return RunReport(resent, refused, None, 0)
        if time.monotonic() >= deadline:
            return RunReport(resent, refused, after, await _count_failed_after(upload_id, after))


async def _failed_after(upload_id: uuid.UUID, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
    if after is None:
        rows = await sql.fetch(
            "SELECT id FROM deliveries WHERE upload_id = $1 AND status = $2 ORDER BY id LIMIT $3", upload_id, FAILED, limit
        )
    else:
        rows = await sql.fetch(
            "SELECT id FROM deliveries WHERE upload_id = $1 AND status = $2 AND id > $3 ORDER BY id LIMIT $4",
            upload_id,
            FAILED,
            after,
            limit,
        )
    return [row["id"] for row in rows]


async def _count_failed_after(upload_id: uuid.UUID, after: uuid.UUID) -> int:
    row = await sql.fetchrow(
        "SELECT COUNT(*) AS n FROM deliveries WHERE upload_id = $1 AND status = $2 AND id > $3", upload_id, FAILED, after
    )
    return int(row["n"])
