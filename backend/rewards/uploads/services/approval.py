"""Maker-checker for uploads, and issuing an approved upload in chunks, resumably.

``approve_upload``: a person other than the uploader approves a staged upload (``SELF_APPROVAL``
otherwise); nothing is issued before. The decision and a ``reward_upload.approved`` outbox event
commit together, and the worker issues the upload (``jobs/uploads.py``): ``issue_upload`` works
through the valid rows in line order, a chunk at a time: recipients not known yet are created
(``recipients.services``), each row goes to ``issue_rewards`` with
``idempotency_scope=f"upload:{upload_id}"`` and ``idempotency_key=f"line:{line}"``, and each row's
outcome (issued, pending_approval, or rejected with the issuance's code) is recorded with the
upload's progress in one transaction per chunk. A row whose issuance fails for any other reason
(an unexpected error) is recorded as rejected with ISSUANCE_FAILED and the reason, and the rest
goes on; only a lost database or network stops a run (the job runs again). Whoever runs it again
(another worker, after a kill) continues with the rows that have no outcome yet; a row issued but
not yet recorded when the process died is replayed by its key, never issued twice.
``discard_upload`` takes a staged upload out of review.

Error codes: PERSON_REQUIRED, SELF_APPROVAL, ALREADY_APPROVED, UPLOAD_NOT_STAGED,
UPLOAD_NOT_APPROVED, NOTHING_TO_ISSUE, REASON_REQUIRED, NOT_FOUND.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import structlog

from backend.core import audit, outbox, sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.db_errors import is_transient, is_unique_violation
from backend.core.errors import DomainError, NotFound
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
from backend.rewards.services.issuance import IssuanceOutcome, RewardRequest, issue_rewards
from backend.rewards.services.summaries import upload_source_event
from backend.rewards.uploads.services.validation import known_recipients
from backend.rewards.uploads.tables import RewardUpload
from backend.rewards.uploads.views import (
    APPROVED,
    COMPLETED,
    DISCARDED,
    ISSUED,
    PENDING_APPROVAL,
    REJECTED,
    STAGED,
    UploadView,
    upload_view,
)

log = structlog.get_logger(__name__)

CHUNK = 100
APPROVAL_PERMISSION = Permission.REWARDS_WRITE
UPLOAD_APPROVED = "reward_upload.approved"  # outbox topic: the worker issues the upload (jobs/uploads.py)
ISSUANCE_FAILED = "ISSUANCE_FAILED"  # a row's issuance raised an unexpected error: recorded, the rest goes on

_TO_ISSUE = """SELECT id, line, external_id, recipient_id, new_recipient, offer_id, denomination, points, channel, dedupe_key
FROM reward_upload_rows WHERE upload = $1 AND valid AND outcome IS NULL ORDER BY line LIMIT $2"""
_RECORD = """UPDATE reward_upload_rows SET outcome = $2, rejection_code = $3, outcome_message = $4, issuance_id = $5, recipient_id = $6,
decided_at = $7 WHERE id = $1 AND outcome IS NULL"""
# The same reward already issued (or waiting for approval) through another upload of the campaign:
# two uploads staged side by side each passed the duplicate check at staging.
_ISSUED_ELSEWHERE = """SELECT e.dedupe_key, e.line, u.file_name FROM reward_upload_rows e JOIN reward_uploads u ON u.id = e.upload
WHERE e.campaign_id = $1 AND e.upload <> $2 AND e.valid AND e.outcome IN ('issued', 'pending_approval') AND e.dedupe_key {keys}"""
_TALLY = """SELECT COUNT(outcome) AS done, COALESCE(SUM(CASE WHEN outcome = 'issued' THEN 1 ELSE 0 END), 0) AS issued,
COALESCE(SUM(CASE WHEN outcome = 'pending_approval' THEN 1 ELSE 0 END), 0) AS pending,
COALESCE(SUM(CASE WHEN outcome = 'rejected' THEN 1 ELSE 0 END), 0) AS rejected
FROM reward_upload_rows WHERE upload = $1 AND valid"""


def scope_of(upload_id: uuid.UUID) -> str:
    """The idempotency scope of an upload's issuances: the same for every admin who resumes it."""
    return f"upload:{upload_id}"


def key_of(line: int) -> str:
    return f"line:{line}"


def _require_person(actor: Actor) -> None:
    actor.require(APPROVAL_PERMISSION)
    if actor.kind is not ActorKind.USER or actor.id is None:
        raise DomainError.single("PERSON_REQUIRED", "uploads are approved by named people, not by keys or the system")


async def load_upload(upload_id: uuid.UUID) -> UploadView:
    row = await RewardUpload.select().where(RewardUpload.id == upload_id).first()
    if row is None:
        raise NotFound("upload", upload_id, field="upload_id")
    return upload_view(row)


async def approve_upload(actor: Actor, upload_id: uuid.UUID, note: str = "") -> UploadView:
    """The checker's step: a second admin approves. The decision and an outbox event commit
    together; the worker then issues the valid rows (``issue_upload``, in ``jobs/uploads.py``)."""
    _require_person(actor)
    async with write_transaction():
        upload = await load_upload(upload_id)
        if upload.status in (APPROVED, COMPLETED):
            raise DomainError.single(
                "ALREADY_APPROVED",
                f"'{upload.file_name}' was approved by {upload.decided_by_label}; "
                "resume its issuance instead (nothing is issued twice)",
            )
        if upload.status != STAGED:
            raise DomainError.single("UPLOAD_NOT_STAGED", f"'{upload.file_name}' is {upload.status}: it cannot be approved")
        if upload.uploaded_by == actor.id:
            raise DomainError.single(
                "SELF_APPROVAL", f"{actor.label} uploaded '{upload.file_name}'; a second admin must approve it"
            )
        if upload.rows_valid == 0:
            raise DomainError.single(
                "NOTHING_TO_ISSUE", f"'{upload.file_name}' has no valid rows: fix them or upload the file again"
            )
        now = utcnow()
        decided = (
            await RewardUpload.update(
                {
                    RewardUpload.status: APPROVED,
                    RewardUpload.decided_by: actor.id,
                    RewardUpload.decided_by_label: actor.label,
                    RewardUpload.decided_at: now,
                    RewardUpload.decision_note: (note or "").strip()[:4000],
                    RewardUpload.progress_total: upload.rows_valid,
                    RewardUpload.progress_done: 0,
                    RewardUpload.updated_at: now,
                }
            )
            .where(RewardUpload.id == upload_id, RewardUpload.status == STAGED)
            .returning(RewardUpload.id)
        )
        if not decided:
            raise DomainError.single("ALREADY_APPROVED", "the upload was decided meanwhile")
        await audit.record(
            actor,
            "reward_upload.approved",
            "reward_upload",
            upload_id,
            before={"status": STAGED},
            after={"status": APPROVED, "uploaded_by": upload.uploaded_by_label, "rows_valid": upload.rows_valid, "note": note},
        )
        event_id = await outbox.add(UPLOAD_APPROVED, {"upload_id": str(upload_id)})  # the worker issues it
        approved = await load_upload(upload_id)
    await outbox.ring([event_id])
    return approved


async def discard_upload(actor: Actor, upload_id: uuid.UUID, reason: str) -> UploadView:
    """Take a staged upload out of review (the uploader or a checker); its rows no longer count as
    duplicates for later uploads."""
    _require_person(actor)
    if not (reason or "").strip():
        raise DomainError.single("REASON_REQUIRED", "say why the upload is discarded", field="reason")
    async with write_transaction():
        upload = await load_upload(upload_id)
        now = utcnow()
        discarded = (
            await RewardUpload.update(
                {
                    RewardUpload.status: DISCARDED,
                    RewardUpload.decided_by: actor.id,
                    RewardUpload.decided_by_label: actor.label,
                    RewardUpload.decided_at: now,
                    RewardUpload.decision_note: reason.strip()[:4000],
                    RewardUpload.updated_at: now,
                }
            )
            .where(RewardUpload.id == upload_id, RewardUpload.status == STAGED)
            .returning(RewardUpload.id)
        )
        if not discarded:
            raise DomainError.single(
                "UPLOAD_NOT_STAGED", f"'{upload.file_name}' is {upload.status}: only a staged upload is discarded"
            )
        await audit.record(
            actor,
            "reward_upload.discarded",
            "reward_upload",
            upload_id,
            before={"status": STAGED},
            after={"status": DISCARDED, "reason": reason.strip()},
        )
        return await load_upload(upload_id)


async def known_recipient_ids(rows: list) -> dict[str, uuid.UUID | str]:
    """External id → recipient id of the chunk's recipients that exist (one query); the others are
    created row by row (``recipient_for``)."""
    ids: dict[str, uuid.UUID | str] = {row["external_id"]: row["recipient_id"] for row in rows if row["recipient_id"] is not None}
    missing = sorted({row["external_id"] for row in rows if row["recipient_id"] is None})
    known = await known_recipients(missing)  # created meanwhile (an earlier attempt, another upload): never changed here
    ids.update({external_id: recipient["id"] for external_id, recipient in known.items()})
    return ids


async def recipient_for(actor: Actor, row, ids: dict[str, uuid.UUID | str]) -> uuid.UUID | str:
    """The row's recipient id, creating the recipient if it is not known yet (noted in ``ids``); the
    reason (text "CODE: message") when it cannot be created."""
    external_id = row["external_id"]
    if external_id not in ids:
        try:
            fields = json.loads(row["new_recipient"]) if isinstance(row["new_recipient"], str) else row["new_recipient"]
            ids[external_id] = (await recipients.upsert_recipient(actor, RecipientInput(**fields))).recipient.id
        except DomainError as error:
            ids[external_id] = f"{error.code}: {error.errors[0].message}"
        except Exception as error:
            if is_transient(error):
                raise
            if not is_unique_violation(error):
                log.exception("upload.recipient_failed", external_id=external_id)
                ids[external_id] = ": ".join(_failure(error))
            else:  # another worker issuing the same upload created them a moment ago: use theirs
                ids[external_id] = (await known_recipients([external_id]))[external_id]["id"]
    return ids[external_id]


async def recipient_ids_for(actor: Actor, rows: list) -> dict[str, uuid.UUID | str]:
    """External id → recipient id for all ``rows``, creating the recipients not known yet (the dry
    run does, inside a transaction it rolls back); a recipient that cannot be created maps to the reason."""
    ids = await known_recipient_ids(rows)
    for row in rows:
        await recipient_for(actor, row, ids)
    return ids


async def _record(actor: Actor, upload_id: uuid.UUID, decided: list[tuple], final_check: bool) -> UploadView:
    """The chunk's outcomes and the upload's progress, in one transaction; completes the upload
    when no row is left."""
    now = utcnow()
    async with write_transaction():
        for row_id, outcome, code, message, issuance_id, recipient_id in decided:
            await sql.run(sql.Statement(_RECORD, (row_id, outcome, code, message[:2000], issuance_id, recipient_id, now)))
        tally = await sql.fetchrow(_TALLY, upload_id)
        values = {
            RewardUpload.progress_done: int(tally["done"]),
            RewardUpload.issued: int(tally["issued"]),
            RewardUpload.pending: int(tally["pending"]),
            RewardUpload.rejected: int(tally["rejected"]),
            RewardUpload.updated_at: now,
        }
        left = (
            await sql.fetchrow(
                "SELECT COUNT(*) AS n FROM reward_upload_rows WHERE upload = $1 AND valid AND outcome IS NULL", upload_id
            )
            if final_check
            else {"n": 1}
        )
        if int(left["n"]) == 0:
            values.update({RewardUpload.status: COMPLETED, RewardUpload.completed_at: now})
        changed = (
            await RewardUpload.update(values)
            .where(RewardUpload.id == upload_id, RewardUpload.status == APPROVED)
            .returning(RewardUpload.id)
        )
        if changed and int(left["n"]) == 0:
            await audit.record(
                actor,
                "reward_upload.completed",
                "reward_upload",
                upload_id,
                before={"status": APPROVED},
                after={
                    "status": COMPLETED,
                    "issued": int(tally["issued"]),
                    "pending_approval": int(tally["pending"]),
                    "rejected": int(tally["rejected"]),
                },
            )
        return await load_upload(upload_id)


def _decision(row, recipient_id: uuid.UUID | None, outcome: IssuanceOutcome | None, refusal: tuple[str, str] | None) -> tuple:
    """(row id, outcome, rejection code, message, issuance id, recipient id) for ``_record``."""
    if refusal is not None:  # refused before issuance: a duplicate issued elsewhere, a recipient that cannot be created
        return row["id"], REJECTED, refusal[0], refusal[1], None, recipient_id
    if outcome.status == REJECTED:
        return (
            row["id"],
            REJECTED,
            outcome.rejection.value if outcome.rejection else "REJECTED",
            outcome.message,
            None,
            recipient_id,
        )
    return (
        row["id"],
        ISSUED if outcome.status == ISSUED else PENDING_APPROVAL,
        None,
        outcome.message,
        outcome.issuance_id,
        recipient_id,
    )


async def _issued_elsewhere(upload: UploadView, keys: list[str]) -> dict[str, tuple[int, str]]:
    """Dedupe key → (line, file) of the same reward issued or pending through another upload of the campaign."""
    if sql.is_sqlite():
        rows = await sql.fetch(
            _ISSUED_ELSEWHERE.format(keys="IN (SELECT value FROM json_each($3))"), upload.campaign_id, upload.id, json.dumps(keys)
        )
    else:
        rows = await sql.fetch(_ISSUED_ELSEWHERE.format(keys="= ANY($3::varchar[])"), upload.campaign_id, upload.id, keys)
    return {row["dedupe_key"]: (row["line"], row["file_name"]) for row in rows}


_STALLED = "SELECT * FROM reward_uploads WHERE status = $1 AND updated_at < $2 ORDER BY updated_at LIMIT $3"


async def stalled_uploads(status: str, idle_for: timedelta, limit: int = 20) -> list[UploadView]:
    """Uploads in ``status`` (approved: issuing; validating: staging) that have not moved for
    ``idle_for``: their job was lost (Redis restarted, arq gave up), so the worker's cron rings it
    again (``jobs/uploads.py``)."""
    return [upload_view(row) for row in await sql.fetch(_STALLED, status, utcnow() - idle_for, limit)]


def _failure(error: Exception) -> tuple[str, str]:
    """An unexpected error of one row, as that row's refusal: its type and first line, without NULs
    (the message may quote the value that caused it)."""
    text = f"{type(error).__name__}: {error}".replace("\x00", "\\0").splitlines()[0][:500]
    return ISSUANCE_FAILED, f"could not be issued ({text})"


async def _issue_row(actor: Actor, upload: UploadView, row, recipient_id: uuid.UUID) -> IssuanceOutcome | tuple[str, str]:
    """One row through the issuance service: its outcome, or (code, reason) when it failed. Only a
    lost database or network is raised (the job runs again later; the row stays undecided)."""
    request = RewardRequest(
        campaign_id=upload.campaign_id,
        recipient_id=recipient_id,
        offer_id=row["offer_id"],
        value=row["points"] if row["points"] is not None else row["denomination"],
        idempotency_key=key_of(row["line"]),
        source_event=upload_source_event(upload.id, row["line"]),
        channel=row["channel"],
    )
    try:
        [outcome] = await issue_rewards(actor, [request], idempotency_scope=scope_of(upload.id))
        return outcome
    except DomainError as error:
        return error.code, error.errors[0].message
    except Exception as error:
        if is_transient(error):
            raise
        log.exception("upload.row_failed", upload_id=str(upload.id), line=row["line"])
        return _failure(error)


async def issue_upload(
    actor: Actor,
    upload_id: uuid.UUID,
    *,
    chunk_size: int = CHUNK,
    max_chunks: int | None = None,
    time_budget: float | None = None,
) -> UploadView:
    """Issue an approved upload's valid rows, ``chunk_size`` at a time (all of them; or ``max_chunks``
    chunks; or until ``time_budget`` seconds have passed: a job's run). Safe to call again at any
    time, by several workers at once: it resumes with the rows that have no outcome yet, and a row
    issued but not recorded is replayed by its key. A row that fails, for whatever reason, is
    recorded as refused with the reason, and the rest goes on."""
    actor.require(Permission.REWARDS_WRITE)
    upload = await load_upload(upload_id)
    if upload.status == COMPLETED:
        return upload
    if upload.status != APPROVED:
        raise DomainError.single(
            "UPLOAD_NOT_APPROVED", f"'{upload.file_name}' is {upload.status}: it is issued only once a second admin approves it"
        )
    deadline = None if time_budget is None else time.monotonic() + time_budget
    chunks = 0
    while max_chunks is None or chunks < max_chunks:
        if chunks and deadline is not None and time.monotonic() >= deadline:
            break
        rows = await sql.fetch(_TO_ISSUE, upload_id, chunk_size)
        if not rows:
            return await _record(actor, upload_id, [], final_check=True)
        chunks += 1
        refusals: dict[uuid.UUID, tuple[str, str]] = {}
        elsewhere = await _issued_elsewhere(upload, [row["dedupe_key"] for row in rows])
        for row in rows:
            if row["dedupe_key"] in elsewhere:
                refusals[row["id"]] = (
                    "DUPLICATE_OF_UPLOAD",
                    "already issued through the upload '{1}', line {0}".format(*elsewhere[row["dedupe_key"]]),
                )
        ids = await known_recipient_ids([row for row in rows if row["id"] not in refusals])
        decided = []
        for row in rows:
            recipient_id = None
            if row["id"] not in refusals:
                recipient = await recipient_for(actor, row, ids)
                if isinstance(recipient, str):
                    refusals[row["id"]] = tuple(recipient.split(": ", 1))
                else:
                    recipient_id = recipient
            if row["id"] in refusals:
                decided.append(_decision(row, recipient_id, None, refusals[row["id"]]))
            else:
                outcome = await _issue_row(actor, upload, row, recipient_id)
                refusal = outcome if isinstance(outcome, tuple) else None
                decided.append(_decision(row, recipient_id, None if refusal else outcome, refusal))
            if deadline is not None and time.monotonic() >= deadline:
                break  # the rest of the chunk waits for the next run
        upload = await _record(actor, upload_id, decided, final_check=len(decided) == len(rows) < chunk_size)
        if upload.status == COMPLETED:
            return upload
    return await load_upload(upload_id)
