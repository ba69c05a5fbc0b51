"""Staging an upload for review, in two steps so that no slow work runs in the api or the console.

``receive_upload`` (the api, the console): the file is streamed into the database in 1 MiB chunks
(kept for audit), bounded in size (FILE_TOO_LARGE), and the upload is written ``validating`` with a
``reward_upload.received`` outbox event in the same transaction; the worker takes it from there.

``validate_upload`` (the worker, ``jobs/uploads.py``): the stored file is read as a stream, every row
validated and written, a batch per transaction with the upload's progress (``progress_done`` rows
of about ``progress_total``, counted from the file's lines on receipt; 0 when unknown, for XLSX),
until a time budget is spent: the next run resumes after the last line written (re-reading the
file up to there, and the duplicates already seen), so a run done twice or cut short by a killed
worker stages each row once (UNIQUE (upload, line)). At the end the rows of possible duplicates are
flagged (``possible_duplicates.py``, from the stored rows, so a pair split across runs is found too)
and the upload is ``staged`` for review with its columns and the columns read past (``ignored_columns``);
a file-level problem found on the way (a DomainError with ``field="file"``, see ``parsing.py``)
makes it ``refused`` with that code and message instead, and the rows written so far are deleted.
Nothing is issued here and no recipient is created: that waits for a second admin's approval
(``approval.py``). ``stage_upload`` does both steps in the calling process, for scripts and tests.

Rows are written with COPY on PostgreSQL, ``executemany`` on SQLite. The contact points of a
batch's rows are normalised one batch ahead (``contact_checks``: in a process pool once a file has a
full batch; the worker may fan CPU work out), so that work overlaps the validation of the batch
before. Duplicates of earlier uploads of the campaign (same external_id, offer and denomination, or
points, in a valid row of an upload that was not discarded and not rejected at issuance) are looked
up once per batch through the (campaign_id, dedupe_key) index and make the row invalid
(DUPLICATE_OF_UPLOAD).

Error codes (besides the file-level ones): CAMPAIGN_ENDED, WRONG_HEADER (the columns do not fit the
campaign's reward type), NOT_FOUND (campaign).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import orjson

from backend.campaigns.services.campaigns import load_campaign
from backend.campaigns.views import ENDED, POINTS, CampaignView
from backend.core import audit, outbox, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.csv_import import SizeBoundedReader
from backend.core.db import current_engine, write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.rewards.uploads.services import columns as upload_columns
from backend.rewards.uploads.services.contact_checks import ContactChecks, PendingContacts
from backend.rewards.uploads.services.parsing import CHUNK_BYTES, XLSX, ParsedRow, UploadLimits, open_upload
from backend.rewards.uploads.services.possible_duplicates import flag_possible_duplicates, possible_duplicate_ids
from backend.rewards.uploads.services.validation import RowValidator, StagedRow, campaign_offers, error_dicts
from backend.rewards.uploads.tables import RewardUpload
from backend.rewards.uploads.views import REFUSED, STAGED, VALIDATING, UploadView, upload_view

BATCH = 2000
UPLOAD_PERMISSION = Permission.REWARDS_WRITE
UPLOAD_RECEIVED = "reward_upload.received"  # outbox topic: the worker validates the file (jobs/uploads.py)
_ZIP_MAGIC = b"PK\x03\x04"

ROW_COLUMNS = (
    "id",
    "upload",
    "campaign_id",
    "line",
    "cells",
    "external_id",
    "recipient_id",
    "new_recipient",
    "offer_id",
    "denomination",
    "points",
    "channel",
    "dedupe_key",
    "valid",
    "errors",
    "outcome_message",
)
_INSERT_ROW = f"INSERT INTO reward_upload_rows ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' for _ in ROW_COLUMNS)})"
_INSERT_CHUNK = "INSERT INTO reward_upload_file_chunks (id, upload, seq, content) VALUES ($1, $2, $3, $4)"
_CHUNKS = "SELECT content FROM reward_upload_file_chunks WHERE upload = $1 ORDER BY seq"
_STAGED_SO_FAR = """SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN valid THEN 1 ELSE 0 END), 0) AS valid,
COALESCE(MAX(line), 0) AS last_line FROM reward_upload_rows WHERE upload = $1"""
# The dedupe keys this file already holds, for the duplicates of a resumed run: rows whose only problem,
# if any, is a duplicate of another upload (those are the rows validation counted as seen).
_SEEN = """SELECT dedupe_key, line, errors FROM reward_upload_rows WHERE upload = $1 AND dedupe_key IS NOT NULL ORDER BY line"""
_DELETE_ROWS = "DELETE FROM reward_upload_rows WHERE upload = $1"
_EARLIER = """SELECT e.dedupe_key, e.line, u.file_name FROM reward_upload_rows e JOIN reward_uploads u ON u.id = e.upload
WHERE e.campaign_id = $1 AND e.valid AND (e.outcome IS NULL OR e.outcome <> 'rejected') AND u.status <> 'discarded'
AND e.upload <> $2 AND e.dedupe_key {keys} ORDER BY e.upload, e.line"""
_EARLIER_PG = _EARLIER.format(keys="= ANY($3::varchar[])")
_EARLIER_SQLITE = _EARLIER.format(keys="IN (SELECT value FROM json_each($3))")


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _contacts_ahead(
    batches: Iterator[list[ParsedRow]], validator: RowValidator
) -> Iterator[tuple[list[ParsedRow], PendingContacts]]:
    """Each batch with the check of its contact points, started one batch ahead: the next batch's
    people are checked (in the pool) while this batch is validated and copied."""
    checks, ahead = None, None
    for batch in batches:
        if checks is None:
            checks = ContactChecks(in_pool=len(batch) == BATCH)  # less than one batch: inline, no pool to start
        started = (batch, checks.start(validator.people(batch)))
        if ahead is not None:
            yield ahead
        ahead = started
    if ahead is not None:
        yield ahead


def check_columns_fit(campaign: CampaignView, columns: tuple[str, ...]) -> None:
    """A points campaign needs a points column; an offers campaign offer and amount (or amount_minor)."""
    needed = [upload_columns.POINTS] if campaign.reward_type == POINTS else [upload_columns.OFFER]
    missing = [name for name in needed if name not in columns]
    if campaign.reward_type != POINTS and not any(name in columns for name in upload_columns.AMOUNTS):
        missing.append("amount (or amount_minor)")
    if missing:
        raise DomainError.single(
            "WRONG_HEADER",
            f"'{campaign.name}' is a {campaign.reward_type} campaign: the file needs the column(s) "
            f"{', '.join(missing)} (expected: {upload_columns.EXPECTED})",
            field="file",
        )


async def earlier_duplicates(
    campaign_id: uuid.UUID, upload_id: uuid.UUID, keys: list[str], fetch=sql.fetch
) -> dict[str, tuple[int, str]]:
    """Dedupe key → (line, file name) of the first valid row of another live upload of the campaign that has it."""
    if not keys:
        return {}
    if sql.is_sqlite():
        rows = await fetch(_EARLIER_SQLITE, campaign_id, upload_id, json.dumps(keys))
    else:
        rows = await fetch(_EARLIER_PG, campaign_id, upload_id, keys)
    found: dict[str, tuple[int, str]] = {}
    for row in rows:
        found.setdefault(row["dedupe_key"], (row["line"], row["file_name"]))
    return found


def duplicate_of_upload(line: int, file_name: str) -> FieldError:
    return FieldError(None, "DUPLICATE_OF_UPLOAD", f"already in the upload '{file_name}', line {line}")


def _json(value) -> str:
    # orjson: the two JSON documents of every staged row were a fifth of staging's own CPU with json.
    return orjson.dumps(value).decode()


def _record(upload_id: uuid.UUID, campaign_id: uuid.UUID, row: StagedRow) -> tuple:
    return (
        new_id(),
        upload_id,
        campaign_id,
        row.line,
        _json(row.cells),
        row.external_id,
        row.recipient_id,
        _json(row.new_recipient) if row.new_recipient is not None else None,
        row.offer_id,
        row.denomination,
        row.points,
        row.channel,
        row.dedupe_key,
        row.valid,
        json.dumps(error_dicts(row.errors)) if row.errors else "[]",
        "",
    )


async def _insert_rows(connection, records: list[tuple]) -> None:
    if sql.is_sqlite():
        await connection.executemany(_INSERT_ROW, records)
    else:
        await connection.copy_records_to_table("reward_upload_rows", records=records, columns=ROW_COLUMNS)


# ---------------------------------------------------------------- receiving (the api, the console)


def _received_bytes(source: BinaryIO, limits: UploadLimits) -> Iterator[bytes]:
    """The upload in chunks of CHUNK_BYTES, bounded by ``limits.max_bytes`` (FILE_TOO_LARGE)."""
    bounded = io.BufferedReader(SizeBoundedReader(source, limits.max_bytes), buffer_size=CHUNK_BYTES)
    while chunk := bounded.read(CHUNK_BYTES):
        yield chunk


async def receive_upload(
    actor: Actor, campaign_id: uuid.UUID, source: BinaryIO, file_name: str, *, limits: UploadLimits | None = None
) -> UploadView:
    """Store an upload's file and leave its validation to the worker; returns it ``validating``.
    Raises DomainError for a campaign that takes no uploads or a file over the size bound (nothing
    is stored then)."""
    actor.require(UPLOAD_PERMISSION)
    file_name = (file_name or "upload.csv").strip()[:255] or "upload.csv"
    campaign = await load_campaign(campaign_id)
    if campaign.status == ENDED:
        raise DomainError.single("CAMPAIGN_ENDED", f"'{campaign.name}' has ended: it takes no more uploads", field="campaign_id")
    limits = limits or UploadLimits()
    upload_id, now = new_id(), utcnow()
    digest, size, lines, last = hashlib.sha256(), 0, 0, b""
    async with write_transaction():
        await RewardUpload.insert(
            RewardUpload(
                id=upload_id,
                campaign_id=campaign_id,
                file_name=file_name,
                file_format="",
                sha256="",
                size_bytes=0,
                columns=[],
                status=VALIDATING,
                uploaded_by=actor.id,
                uploaded_by_label=actor.label,
                uploaded_at=now,
                updated_at=now,
            )
        )
        for seq, chunk in enumerate(_received_bytes(source, limits)):
            await sql.run(sql.Statement(_INSERT_CHUNK, (new_id(), upload_id, seq, chunk)))
            digest.update(chunk)
            size, lines, last = size + len(chunk), lines + chunk.count(b"\n"), chunk[-1:]
            if seq == 0:
                file_format = XLSX if chunk.startswith(_ZIP_MAGIC) else "csv"
        expected = 0 if size == 0 or file_format == XLSX else max(0, lines + (last != b"\n") - 1)  # data lines, about
        await RewardUpload.update(
            {
                RewardUpload.sha256: digest.hexdigest(),
                RewardUpload.size_bytes: size,
                RewardUpload.file_format: file_format if size else "csv",
                RewardUpload.progress_total: expected,
            }
        ).where(RewardUpload.id == upload_id)
        await audit.record(
            actor,
            "reward_upload.received",
            "reward_upload",
            upload_id,
            after={"campaign_id": campaign_id, "file_name": file_name, "sha256": digest.hexdigest(), "size_bytes": size},
        )
        event_id = await outbox.add(UPLOAD_RECEIVED, {"upload_id": str(upload_id)})
        received = upload_view(await RewardUpload.select().where(RewardUpload.id == upload_id).first())
    await outbox.ring([event_id])
    return received


# ---------------------------------------------------------------- validating (the worker)


class _StoredFile(io.RawIOBase):
    """The upload's kept bytes as a stream, a chunk at a time (the chunks are fetched once, in order)."""

    def __init__(self, chunks: list[bytes]):
        self._chunks, self._current = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._current:
            self._current = next(self._chunks, None)
            if self._current is None:
                self._current = b""
                return 0
        count = min(len(buffer), len(self._current))
        buffer[:count] = self._current[:count]
        self._current = self._current[count:]
        return count


async def _stored_file(upload_id: uuid.UUID) -> BinaryIO:
    chunks = [bytes(row["content"]) for row in await sql.fetch(_CHUNKS, upload_id)]
    return io.BufferedReader(_StoredFile(chunks), buffer_size=64 * 1024)


async def _seen_so_far(upload_id: uuid.UUID) -> dict[str, int]:
    seen: dict[str, int] = {}
    for row in await sql.fetch(_SEEN, upload_id):
        problems = json.loads(row["errors"]) if isinstance(row["errors"], str) else (row["errors"] or [])
        if all(problem["code"] == "DUPLICATE_OF_UPLOAD" for problem in problems):
            seen.setdefault(row["dedupe_key"], row["line"])
    return seen


async def _progress(upload_id: uuid.UUID, values: dict) -> None:
    await RewardUpload.update({**values, RewardUpload.updated_at: utcnow()}).where(
        RewardUpload.id == upload_id, RewardUpload.status == VALIDATING
    )


async def _refuse(actor: Actor, upload: UploadView, refusal: DomainError) -> None:
    """The file cannot be staged: the upload says why, and the rows written so far go."""
    problem = refusal.errors[0]
    async with write_transaction():
        await sql.run(sql.Statement(_DELETE_ROWS, (upload.id,)))
        await _progress(
            upload.id,
            {
                RewardUpload.status: REFUSED,
                RewardUpload.refusal_code: refusal.code,
                RewardUpload.refusal: problem.message[:4000],
                RewardUpload.rows_total: 0,
                RewardUpload.rows_valid: 0,
                RewardUpload.rows_invalid: 0,
                RewardUpload.progress_done: 0,
            },
        )
        await audit.record(
            actor,
            "reward_upload.refused",
            "reward_upload",
            upload.id,
            before={"status": VALIDATING},
            after={"status": REFUSED, "code": refusal.code, "reason": problem.message},
        )


async def validate_upload(
    actor: Actor, upload_id: uuid.UUID, *, time_budget: float | None = None, limits: UploadLimits | None = None
) -> UploadView:
    """Validate and stage a received upload's rows, resuming after the last row staged, until the
    file ends (the upload is then ``staged``, or ``refused`` for a file-level problem) or
    ``time_budget`` seconds have passed (it stays ``validating``: call again)."""
    actor.require(UPLOAD_PERMISSION)
    upload = upload_view(await RewardUpload.select().where(RewardUpload.id == upload_id).first())
    if upload.status != VALIDATING:
        return upload
    deadline = None if time_budget is None else time.monotonic() + time_budget
    so_far = await sql.fetchrow(_STAGED_SO_FAR, upload_id)
    total, valid, last_line = int(so_far["total"]), int(so_far["valid"]), int(so_far["last_line"])
    try:
        campaign = await load_campaign(upload.campaign_id)
        reader = open_upload(
            await _stored_file(upload_id), upload.file_name, limits, strict_columns=campaign.strict_upload_columns
        )
        check_columns_fit(campaign, reader.columns)
        validator = RowValidator(campaign, await campaign_offers(campaign), seen=await _seen_so_far(upload_id))
        rows = (row for row in reader.rows() if row.line > last_line)  # a resumed run: those are staged
        finished = True
        for number, (batch, contacts) in enumerate(_contacts_ahead(_batches(rows, BATCH), validator)):
            if number and deadline is not None and time.monotonic() >= deadline:
                finished = False  # this batch is read again by the next run
                break
            await validator.prepare(batch, await contacts.result())
            staged = [validator.validate(row) for row in batch]
            candidates = [row for row in staged if row.valid]
            earlier = await earlier_duplicates(campaign.id, upload_id, sorted({row.dedupe_key for row in candidates}))
            for row in candidates:
                if row.dedupe_key in earlier:
                    row.errors.append(duplicate_of_upload(*earlier[row.dedupe_key]))
            total += len(staged)
            valid += sum(1 for row in staged if row.valid)
            async with write_transaction():
                await _insert_rows(
                    current_engine().current_transaction.get().connection,
                    [_record(upload_id, campaign.id, row) for row in staged],
                )
                counts = {
                    RewardUpload.rows_total: total,
                    RewardUpload.rows_valid: valid,
                    RewardUpload.rows_invalid: total - valid,
                }
                await _progress(upload_id, {**counts, RewardUpload.progress_done: total})
    except DomainError as refusal:
        if refusal.errors[0].field != "file":
            raise
        await _refuse(actor, upload, refusal)
        return upload_view(await RewardUpload.select().where(RewardUpload.id == upload_id).first())
    if finished:
        async with write_transaction():
            # From the stored rows, not this run's memory: the two lines may have been staged by different runs.
            await flag_possible_duplicates(upload_id, await possible_duplicate_ids(upload_id), campaign.currency)
            await _progress(
                upload_id,
                {
                    RewardUpload.status: STAGED,
                    RewardUpload.file_format: reader.format,
                    RewardUpload.columns: list(reader.columns),
                    RewardUpload.ignored_columns: list(reader.ignored_columns),
                    RewardUpload.progress_total: 0,  # issuance's progress, from approval on
                    RewardUpload.progress_done: 0,
                },
            )
            await audit.record(
                actor,
                "reward_upload.staged",
                "reward_upload",
                upload_id,
                after={
                    "campaign_id": upload.campaign_id,
                    "file_name": upload.file_name,
                    "format": reader.format,
                    "sha256": upload.sha256,
                    "size_bytes": upload.size_bytes,
                    "rows_total": total,
                    "rows_valid": valid,
                    "rows_invalid": total - valid,
                },
            )
    return upload_view(await RewardUpload.select().where(RewardUpload.id == upload_id).first())


async def stage_upload(
    actor: Actor, campaign_id: uuid.UUID, source: BinaryIO, file_name: str, *, limits: UploadLimits | None = None
) -> UploadView:
    """Both steps in this process (scripts, tests, the bench: never the api or the console): the
    upload staged with its counts; raises the DomainError of a refused file (kept ``refused``)."""
    received = await receive_upload(actor, campaign_id, source, file_name, limits=limits)
    upload = await validate_upload(actor, received.id, limits=limits)
    if upload.status == REFUSED:
        raise DomainError.single(upload.refusal_code, upload.refusal, field="file")
    return upload
