"""Deciding rewards that wait for approval: approve (the held reward is issued: points credited or
a code allocated, ``reward.issued`` written) or reject (the hold is released). One or many; each
decided in its own transaction, so one that cannot be approved (the campaign was paused, stock ran
out) leaves the others decided. Who may decide is ``campaigns.services.approvals``' rule: a person
with campaigns:write, never the reward's maker — whose own step is to withdraw it (the hold is
released as by a rejection, the audit says "withdrawn")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.campaigns.services import approvals as queue
from backend.campaigns.services import governance
from backend.campaigns.services.campaigns import load_campaign
from backend.core import audit, outbox, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.rewards.services.issuance import fulfil, issued_event
from backend.rewards.services.rejections import Rejected
from backend.rewards.views import ISSUED, PENDING_APPROVAL, REJECTED, IssuanceView, issuance_view

NOT_PENDING = "NOT_PENDING"
NOT_REQUESTER = "NOT_REQUESTER"
WITHDRAWN = "withdrawn"  # a Decision's status: the maker took it back (stored as rejected)
MAX_NOTE = 1000
MAX_BATCH = 500

_SELECT = "SELECT * FROM reward_issuances WHERE id = $1"
_DECIDE = """UPDATE reward_issuances SET status = $2, issued_at = $3, points_transfer_id = $4, decided_by_label = $5, decided_at = $6,
    decision_note = $7 WHERE id = $1 AND status = 'pending_approval' RETURNING *"""


@dataclass(frozen=True)
class Decision:
    issuance_id: uuid.UUID
    status: str  # issued | rejected | withdrawn | unchanged
    code: str | None  # why unchanged
    message: str


def _note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError.single("TOO_LONG", f"a note is at most {MAX_NOTE} characters", field="note")
    return note


async def _pending(actor: Actor, issuance_id: uuid.UUID) -> IssuanceView:
    row = await sql.fetchrow(_SELECT, issuance_id)
    if row is None or row["status"] != PENDING_APPROVAL:
        state = "missing" if row is None else row["status"]
        raise DomainError.single(NOT_PENDING, f"issuance {issuance_id} is {state}, not waiting for approval", field="issuance_id")
    return issuance_view(row)


async def approve_issuance(actor: Actor, issuance_id: uuid.UUID, note: str = "") -> IssuanceView:
    """Issue a held reward. Refused (nothing changes) with NOT_PENDING, SELF_APPROVAL,
    CAMPAIGN_NOT_ACTIVE / OUTSIDE_CAMPAIGN_DATES / BUDGET_EXHAUSTED (re-checked now), OUT_OF_STOCK."""
    queue.require_approver(actor)
    note = _note(note)
    events: list[uuid.UUID] = []
    async with write_transaction():
        issuance = await _pending(actor, issuance_id)
        grants = await queue.grants_by_ids([issuance_id])
        if issuance_id in grants:
            queue.check_not_maker(actor, grants[issuance_id])
        now = utcnow()
        # Fulfilled first, then counted on the campaign's shard: an issuance's lock order (the
        # wallet or code, then the shard), so approving beside issuing cannot deadlock.
        campaign = await load_campaign(issuance.campaign_id)
        try:
            transfer_id = await fulfil(actor, campaign, issuance_id, issuance.offer_id, issuance.recipient_id, issuance.value)
        except Rejected as rejected:
            raise DomainError.single(rejected.rejection.value, rejected.errors[0].message, field="issuance_id") from None
        settled = await governance.settle(actor, issuance_id, now, note)
        if settled is None:
            raise DomainError.single(NOT_PENDING, f"issuance {issuance_id} was decided meanwhile", field="issuance_id")
        if isinstance(settled, governance.Refusal):
            raise DomainError.single(settled.code.value, settled.message, field="issuance_id")
        row = await sql.fetchrow(_DECIDE, issuance_id, ISSUED, now, transfer_id, actor.label, now, note)
        after = issuance_view(row)
        payload = {
            "issuance_id": issuance_id,
            "campaign_id": after.campaign_id,
            "recipient_id": after.recipient_id,
            "offer_id": after.offer_id,
            "terms_version_id": after.terms_version_id,
            "value": after.value,
            "currency": after.currency,
            "points_transfer_id": transfer_id,
            "source_event": after.source_event,
            "channel": after.channel,
            "status": ISSUED,
        }
        event_id, insert = issued_event(payload)
        sql.defer(insert)
        events.append(event_id)
        sql.defer(
            audit.entry(
                actor,
                "reward.approved",
                "reward_issuance",
                issuance_id,
                before={"status": PENDING_APPROVAL},
                after={"status": ISSUED, "note": note, "points_transfer_id": transfer_id},
            )
        )
        await sql.flush()
    await outbox.ring(events)
    return after


async def reject_issuance(actor: Actor, issuance_id: uuid.UUID, note: str = "") -> IssuanceView:
    """Turn a held reward down: its count and value go back to the campaign and the recipient.
    Refused with SELF_APPROVAL for the reward's maker (who withdraws it instead)."""
    queue.require_approver(actor)
    return await _release(actor, issuance_id, _note(note), withdraw=False)


async def withdraw_issuance(actor: Actor, issuance_id: uuid.UUID, note: str = "") -> IssuanceView:
    """The maker takes back a reward they asked for; the hold is released as by a rejection.
    Refused with NOT_REQUESTER for anyone else (a checker rejects it instead)."""
    actor.require(Permission.REWARDS_WRITE)
    return await _release(actor, issuance_id, _note(note), withdraw=True)


async def _release(actor: Actor, issuance_id: uuid.UUID, note: str, *, withdraw: bool) -> IssuanceView:
    async with write_transaction():
        await _pending(actor, issuance_id)
        grant = (await queue.grants_by_ids([issuance_id])).get(issuance_id)
        own = grant is not None and queue.is_maker(actor, grant)
        if withdraw and not own:
            raise DomainError.single(
                NOT_REQUESTER, "only the person who asked for a reward withdraws it; a checker rejects it", field="issuance_id"
            )
        if not withdraw and own:
            raise DomainError.single(
                queue.SELF_APPROVAL, "a reward you asked for is decided by someone else; withdraw it instead", field="issuance_id"
            )
        now = utcnow()
        if await governance.release(actor, issuance_id, now, note) is None:
            raise DomainError.single(NOT_PENDING, f"issuance {issuance_id} was decided meanwhile", field="issuance_id")
        after = issuance_view(await sql.fetchrow(_DECIDE, issuance_id, REJECTED, None, None, actor.label, now, note))
        await audit.record(
            actor,
            "reward.withdrawn" if withdraw else "reward.rejected",
            "reward_issuance",
            issuance_id,
            before={"status": PENDING_APPROVAL},
            after={"status": REJECTED, "note": note},
        )
    return after


async def _each(actor: Actor, issuance_ids: list[uuid.UUID], decide, status: str, note: str) -> list[Decision]:
    if decide is withdraw_issuance:
        actor.require(Permission.REWARDS_WRITE)
    else:
        queue.require_approver(actor)
    _note(note)
    if len(issuance_ids) > MAX_BATCH:
        raise DomainError.single("TOO_MANY", f"at most {MAX_BATCH} rewards at once", field="issuance_ids")
    decisions = []
    for issuance_id in dict.fromkeys(issuance_ids):
        try:
            await decide(actor, issuance_id, note)
            decisions.append(Decision(issuance_id, status, None, status))
        except DomainError as error:
            decisions.append(Decision(issuance_id, "unchanged", error.code, error.errors[0].message))
    return decisions


async def approve_issuances(actor: Actor, issuance_ids: list[uuid.UUID], note: str = "") -> list[Decision]:
    """Approve many; each on its own (one refusal leaves the others approved). In input order, duplicates once."""
    return await _each(actor, issuance_ids, approve_issuance, ISSUED, note)


async def reject_issuances(actor: Actor, issuance_ids: list[uuid.UUID], note: str = "") -> list[Decision]:
    """Reject many; each on its own (one's own ones stay, refused with SELF_APPROVAL). In input order, duplicates once."""
    return await _each(actor, issuance_ids, reject_issuance, REJECTED, note)


async def withdraw_issuances(actor: Actor, issuance_ids: list[uuid.UUID], note: str = "") -> list[Decision]:
    """Withdraw many of one's own; each on its own (others' stay, refused with NOT_REQUESTER)."""
    return await _each(actor, issuance_ids, withdraw_issuance, WITHDRAWN, note)
