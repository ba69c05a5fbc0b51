"""Staging an upload for review: the file is read as a stream, every row validated and written, the
raw bytes kept for audit — all in one transaction, so a file-level problem (a DomainError with
``field="file"``, see ``parsing.py``) leaves nothing behind. Nothing is issued here and no recipient
is created: that waits for a second admin's approval (``approval.py``).

Rows are written in batches: COPY on PostgreSQL, ``executemany`` on SQLite. The contact points of
a batch's rows are normalised one batch ahead (``contact_checks``: in a process pool once a file
has a full batch), so that work overlaps the validation and the copy of the batch before. Duplicates
of earlier uploads of the campaign (same external_id, offer and denomination, or points, in a valid
row of an upload that was not discarded and not rejected at issuance) are looked up once per batch
through the (campaign_id, dedupe_key) index and make the row invalid (DUPLICATE_OF_UPLOAD).

Error codes (besides the file-level ones): CAMPAIGN_ENDED, WRONG_HEADER (the columns do not fit the
campaign's reward type), NOT_FOUND (campaign).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import orjson

from backend.campaigns.services.campaigns import load_campaign
from backend.campaigns.views import ENDED, POINTS, CampaignView
from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import current_engine, write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.rewards.uploads.services import columns as upload_columns
from backend.rewards.uploads.services.contact_checks import ContactChecks, PendingContacts
from backend.rewards.uploads.services.parsing import ParsedRow, UploadLimits, UploadReader, open_upload
from backend.rewards.uploads.services.possible_duplicates import flag_possible_duplicates
from backend.rewards.uploads.services.validation import RowValidator, StagedRow, campaign_offers, error_dicts
from backend.rewards.uploads.tables import RewardUpload
from backend.rewards.uploads.views import STAGED, UploadView, upload_view

BATCH = 2000
UPLOAD_PERMISSION = Permission.REWARDS_WRITE

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
    """A points campaign needs a points column; an offers campaign offer and denomination."""
    needed = [upload_columns.POINTS] if campaign.reward_type == POINTS else [upload_columns.OFFER, upload_columns.DENOMINATION]
    missing = [name for name in needed if name not in columns]
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


@contextlib.asynccontextmanager
async def _reading_connection():
    """On PostgreSQL, the lookups of staging (recipients, earlier uploads: committed rows only) run on
    a connection of their own, so a batch is validated while the previous one is still being copied
    in; yields its ``fetch``. On SQLite, one connection does everything."""
    engine = current_engine()
    if sql.is_sqlite():
        yield sql.fetch
        return
    connection = await (engine.pool.acquire() if engine.pool is not None else engine.get_new_connection())
    try:
        yield connection.fetch
    finally:
        await (engine.pool.release(connection) if engine.pool is not None else connection.close())


async def _keep_chunks(upload_id: uuid.UUID, reader: UploadReader, seq: int, final: bool = False) -> int:
    for chunk in reader.take_chunks(final):
        await sql.run(sql.Statement(_INSERT_CHUNK, (new_id(), upload_id, seq, chunk)))
        seq += 1
    return seq


async def stage_upload(
    actor: Actor, campaign_id: uuid.UUID, source: BinaryIO, file_name: str, *, limits: UploadLimits | None = None
) -> UploadView:
    """Read, validate and stage an upload for review; returns it with its counts. Raises DomainError
    for a file-level problem (nothing is stored then)."""
    actor.require(UPLOAD_PERMISSION)
    file_name = (file_name or "upload.csv").strip()[:255] or "upload.csv"
    campaign = await load_campaign(campaign_id)
    if campaign.status == ENDED:
        raise DomainError.single("CAMPAIGN_ENDED", f"'{campaign.name}' has ended: it takes no more uploads", field="campaign_id")
    reader = open_upload(source, file_name, limits, strict_columns=campaign.strict_upload_columns)
    check_columns_fit(campaign, reader.columns)
    offers = await campaign_offers(campaign)
    upload_id, now = new_id(), utcnow()
    total = valid = 0
    async with write_transaction(), _reading_connection() as fetch:
        validator = RowValidator(campaign, offers, fetch=fetch)
        connection = current_engine().current_transaction.get().connection
        await RewardUpload.insert(
            RewardUpload(
                id=upload_id,
                campaign_id=campaign_id,
                file_name=file_name,
                file_format=reader.format,
                sha256="",
                size_bytes=0,
                columns=list(reader.columns),
                ignored_columns=list(reader.ignored_columns),
                status=STAGED,
                uploaded_by=actor.id,
                uploaded_by_label=actor.label,
                uploaded_at=now,
                updated_at=now,
            )
        )
        seq, copying = 0, None
        try:
            for batch, contacts in _contacts_ahead(
                _batches(reader.rows(), BATCH), validator
            ):  # validating overlaps the copy before
                await validator.prepare(batch, await contacts.result())
                staged = [validator.validate(row) for row in batch]
                candidates = [row for row in staged if row.valid]
                earlier = await earlier_duplicates(campaign_id, upload_id, sorted({row.dedupe_key for row in candidates}), fetch)
                for row in candidates:
                    if row.dedupe_key in earlier:
                        row.errors.append(duplicate_of_upload(*earlier[row.dedupe_key]))
                records = [_record(upload_id, campaign_id, row) for row in staged]
                total += len(staged)
                valid += sum(1 for row in staged if row.valid)
                if copying is not None:
                    await copying
                seq = await _keep_chunks(upload_id, reader, seq)
                copying = asyncio.ensure_future(_insert_rows(connection, records))
            if copying is not None:
                await copying
        except BaseException:
            if copying is not None:  # let the copy finish before the transaction rolls back on its connection
                await asyncio.gather(copying, return_exceptions=True)
            raise
        await _keep_chunks(upload_id, reader, seq, final=True)
        await flag_possible_duplicates(upload_id, sorted(validator.possible_duplicates))
        counts = {"rows_total": total, "rows_valid": valid, "rows_invalid": total - valid}
        await RewardUpload.update(
            {
                RewardUpload.sha256: reader.sha256,
                RewardUpload.size_bytes: reader.size,
                RewardUpload.rows_total: total,
                RewardUpload.rows_valid: valid,
                RewardUpload.rows_invalid: total - valid,
            }
        ).where(RewardUpload.id == upload_id)
        await audit.record(
            actor,
            "reward_upload.staged",
            "reward_upload",
            upload_id,
            after={
                "campaign_id": campaign_id,
                "file_name": file_name,
                "format": reader.format,
                "sha256": reader.sha256,
                "size_bytes": reader.size,
                **counts,
            },
        )
        return upload_view(await RewardUpload.select().where(RewardUpload.id == upload_id).first())
