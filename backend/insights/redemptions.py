"""Codes reported used by their partner (the API's ``reportCodesUsed``, a CSV of used codes), or
confirmed used by the complaint desk: each becomes a redemption and its spend (the reward's value),
recorded once per reward however often and by whichever way it is reported. A code the partner does not hold for an issued reward is
reported back as unknown, and changes nothing."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import BinaryIO

from backend.campaigns.services import campaigns
from backend.catalog.services import used_codes
from backend.core import audit
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.csv_import import SizeBoundedReader, delimiter_of
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.text import text_error
from backend.insights.events import record_events
from backend.insights.ingestion import redemption_facts
from backend.rewards.services import issuances

PARTNER_REPORT = "partner_report"  # the source of reported redemptions; the ref is the issuance
RECORDED, ALREADY_RECORDED, UNKNOWN_CODE = "recorded", "already_recorded", "unknown_code"
MAX_CODES = 1_000  # a call; a file is read in chunks of this many
MAX_FILE_BYTES = 10 * 1024 * 1024
CODES_INVALID, FILE_INVALID = "CODES_INVALID", "FILE_INVALID"
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class UsedCode:
    code: str
    used_at: datetime | None = None  # when the partner saw it used; now when not given


@dataclass(frozen=True)
class CodeOutcome:
    line: int  # the code's position in the call (from 1), or its line in the file
    status: str  # recorded | already_recorded | unknown_code
    issuance_id: uuid.UUID | None


def _check(used: list[UsedCode], first_line: int = 1) -> None:
    errors = []
    latest = utcnow() + _CLOCK_SKEW
    for line, item in enumerate(used, start=first_line):
        bad = text_error("code", item.code)
        if bad:  # a code no issued code can be; a NUL cannot even be looked up on PostgreSQL
            errors.append(FieldError(f"codes[{line}].code", bad.code, f"line {line}: {bad.message}"))
        elif not item.code.strip() or len(item.code) > 200:
            errors.append(FieldError(f"codes[{line}].code", CODES_INVALID, f"line {line}: a code is 1 to 200 characters"))
        elif item.used_at is not None and as_utc(item.used_at) > latest:
            errors.append(FieldError(f"codes[{line}].usedAt", CODES_INVALID, f"line {line}: usedAt is in the future"))
    if errors:
        raise DomainError(errors)


async def report_codes_used(
    actor: Actor, partner_id: uuid.UUID, used: list[UsedCode], *, first_line: int = 1
) -> list[CodeOutcome]:
    """Record the redemptions of the partner's codes; one outcome per code, in order."""
    actor.require(Permission.CATALOG_WRITE)
    if not 1 <= len(used) <= MAX_CODES:
        raise DomainError.single(CODES_INVALID, f"report 1 to {MAX_CODES} codes at a time", "codes")
    _check(used, first_line)
    found = await used_codes.issued_codes(partner_id, [item.code.strip() for item in used])
    held = await issuances.issuances_by_ids(SYSTEM, list({code.issuance_id for code in found.values()}))
    programmes = {
        c.id: c.programme_id for c in (await campaigns.campaigns_by_ids(SYSTEM, {i.campaign_id for i in held.values()})).values()
    }
    now = utcnow()
    facts, refs = [], []
    for item in used:
        code = found.get(item.code.strip())
        issuance = held.get(code.issuance_id) if code else None
        if issuance is None:
            refs.append(None)
            continue
        refs.append(issuance.id)
        used_at = as_utc(item.used_at) if item.used_at else now
        facts += _reward_used(issuance, programmes[issuance.campaign_id], code.offer_id, used_at)
    async with write_transaction():
        ids = await record_events(facts)
        recorded = {fact.issuance_id for fact, event_id in zip(facts, ids, strict=True) if event_id and fact.kind == "redeemed"}
        outcomes = []
        for line, ref in enumerate(refs, start=first_line):
            # A code named twice in one call is recorded at its first line, already recorded at the next.
            status = UNKNOWN_CODE if ref is None else RECORDED if ref in recorded else ALREADY_RECORDED
            recorded.discard(ref)
            outcomes.append(CodeOutcome(line, status, ref))
        await audit.record(
            actor, "insights.codes_reported_used", "partner", partner_id,
            after={status: sum(1 for o in outcomes if o.status == status) for status in (RECORDED, ALREADY_RECORDED, UNKNOWN_CODE)},
        )  # fmt: skip
    return outcomes


def _reward_used(issuance, programme_id: uuid.UUID, offer_id: uuid.UUID, used_at: datetime) -> list:
    """A reward's code used: its redemption and its value spent, keyed by the reward, so it is
    one redemption whoever tells it (the partner's report, the complaint desk) and however often."""
    return redemption_facts(
        source=PARTNER_REPORT, source_ref=str(issuance.id), occurred_at=used_at, programme_id=programme_id,
        offer_id=offer_id, campaign_id=issuance.campaign_id, recipient_id=issuance.recipient_id, issuance_id=issuance.id,
        value_minor=issuance.value, currency=issuance.currency or "",
    )  # fmt: skip


async def record_code_use_confirmed(issuance_id: uuid.UUID, confirmed_at: datetime) -> bool:
    """A complaint agent resolved a "code already used" ticket confirming the code was used
    (tickets' ``ticket.code_use_confirmed``): the reward's redemption, unless recorded before.
    Whether it was new; a points reward (no offer) has nothing to record."""
    issuance = (await issuances.issuances_by_ids(SYSTEM, [issuance_id])).get(issuance_id)
    if issuance is None or issuance.offer_id is None:
        return False
    [campaign] = (await campaigns.campaigns_by_ids(SYSTEM, {issuance.campaign_id})).values()
    facts = _reward_used(issuance, campaign.programme_id, issuance.offer_id, as_utc(confirmed_at))
    return (await record_events(facts))[0] is not None


async def report_used_codes_file(actor: Actor, partner_id: uuid.UUID, file: BinaryIO, *, zone: tzinfo = UTC) -> list[CodeOutcome]:
    """A CSV of used codes (header ``code`` and optionally ``used_at``, ISO 8601, read in ``zone``
    when it names none), at most 10 MB; every bad line is reported with its number and nothing is
    recorded then."""
    actor.require(Permission.CATALOG_WRITE)
    used = read_used_codes_file(file, zone=zone)
    outcomes = []
    for start in range(0, len(used), MAX_CODES):  # each chunk is its own transaction; a rerun counts nothing twice
        chunk = used[start : start + MAX_CODES]
        results = await report_codes_used(actor, partner_id, [item for _, item in chunk], first_line=chunk[0][0])
        outcomes += [
            CodeOutcome(line, result.status, result.issuance_id) for (line, _), result in zip(chunk, results, strict=True)
        ]
    return outcomes


def read_used_codes_file(file: BinaryIO, *, zone: tzinfo = UTC) -> list[tuple[int, UsedCode]]:
    """The file's codes with their line numbers (the console reviews them before recording);
    FILE_INVALID naming every bad line. A ``used_at`` without a zone is a time on ``zone``'s clock:
    the admin's own in the console (a partner's file carries the times its people saw, and the
    partner itself has no zone on record), UTC unless told otherwise on the command line."""
    text = io.TextIOWrapper(io.BufferedReader(SizeBoundedReader(file, MAX_FILE_BYTES)), encoding="utf-8-sig", newline="")
    header_line = text.readline()
    reader = csv.reader(io.StringIO(header_line), delimiter=delimiter_of(header_line))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if "code" not in header:
        raise DomainError.single(FILE_INVALID, "the first line names the columns: code and optionally used_at", "file")
    column, when = header.index("code"), header.index("used_at") if "used_at" in header else None
    used, errors = [], []
    for line, cells in enumerate(csv.reader(text, delimiter=delimiter_of(header_line)), start=2):
        if not any(cell.strip() for cell in cells):
            continue
        try:
            at = (
                datetime.fromisoformat(cells[when].strip())
                if when is not None and when < len(cells) and cells[when].strip()
                else None
            )
        except ValueError:
            errors.append(FieldError(f"line {line}", FILE_INVALID, f"line {line}: used_at is not an ISO 8601 date and time"))
            continue
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=zone)
        used.append((line, UsedCode(cells[column] if column < len(cells) else "", as_utc(at) if at else None)))
    if errors:
        raise DomainError(errors)
    if not used:
        raise DomainError.single(FILE_INVALID, "the file lists no codes", "file")
    return used
