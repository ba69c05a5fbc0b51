"""Issuing rewards under a campaign: one (``issue_reward``), a batch (``issue_rewards``), and the
dry run of a batch (``price_rewards``).

One issuance is one write transaction (``backend.core.idempotency.once``): the checks — campaign
active and within its dates, the offer allowed, live, in the campaign's currency, of a valid
denomination, the recipient active and eligible — then the per-recipient caps
(``campaigns.services.governance``), then the effect: a points reward credits the recipient's
wallet (the ledger's ``earn``), an offer reward takes a voucher code from stock (the catalogue's
``allocate_code``), then the campaign's maximum count and budget (a conditional UPDATE of one of
its counter shards, after the writes deferred before it), then the issuance row, its audit entry and
a ``reward.issued`` outbox event (for the deliveries domain), written with the idempotency record
in the transaction's last statement — so the shard is locked last and held only until the commit.
Every value is a bound parameter; a refusal or a replay is decided from row counts, never by an
error of the database's. In a campaign with admin approval the
reward is held instead (``pending_approval``: it counts against the caps and budget) and fulfilled
when approved (``approvals``).

A rejection (CAP_REACHED, NOT_ELIGIBLE, …) is an outcome, not an exception, and changes nothing:
like every refusal (``backend.core.idempotency``) it stores no idempotency record, so the same key
may be sent again once the cause is fixed (a budget raised, stock imported). A replay of a key
whose first call *did* issue (or pend) returns that first outcome, ``replayed=True``.

Every offer of the catalogue is fulfilled from voucher stock (it is the catalogue's one way to
fulfil), so an offer reward without a code left is OUT_OF_STOCK.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections import Counter
from dataclasses import dataclass

from backend.campaigns.services import governance
from backend.campaigns.services.campaigns import find_campaign, last_read_campaign
from backend.campaigns.views import ADMIN_APPROVAL, CampaignView
from backend.catalog.services import allocation, stock
from backend.core import audit, idempotency, outbox, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.money import format_value
from backend.core.text import check_text
from backend.ledger import services as ledger
from backend.ledger.kinds import Source
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientView
from backend.rewards.services.issuance_checks import check_request, read_offer, read_recipient
from backend.rewards.services.issuance_keys import idempotency_request
from backend.rewards.services.rejections import Rejected, RejectionCode, allocation_refused, refused
from backend.rewards.views import ISSUED, PENDING_APPROVAL, REWARD_ISSUED


@dataclass(frozen=True)
class RewardRequest:
    campaign_id: uuid.UUID
    recipient_id: uuid.UUID
    offer_id: uuid.UUID | None  # None: a points reward (value = points, credited to the ledger)
    value: int  # denomination in the offer currency's minor units, or points
    idempotency_key: str
    source_event: str = ""  # what triggered it, e.g. "pos:sale:981" or "upload:<upload id>:line 12"
    channel: str | None = None  # delivery channel; None = the campaign's default


@dataclass(frozen=True)
class IssuanceOutcome:
    status: str  # "issued" | "pending_approval" | "rejected"
    issuance_id: uuid.UUID | None  # None when rejected
    rejection: RejectionCode | None
    message: str
    replayed: bool  # True when this idempotency key was seen before (first result returned)


@dataclass(frozen=True)
class PricedRow:
    index: int
    outcome: str  # "issue" | "pending_approval" | a RejectionCode value
    message: str


@dataclass(frozen=True)
class PricedBatch:
    campaign_id: uuid.UUID
    currency: str  # the campaign's currency, or "points"
    total_value: int  # of the rows that would issue or pend
    budget: int | None
    budget_left_before: int | None
    budget_left_after: int | None
    would_issue: int
    would_pend: int
    rejected_by_code: dict[str, int]
    rows: list[PricedRow]


REJECTED = "rejected"
POINTS_UNIT = "points"


# ---------------------------------------------------------------- fulfilment, shared with approvals


def _ledger_actor(actor: Actor) -> Actor:
    """The issuer credits points on the campaign's behalf: issuing a points reward (rewards:write)
    includes its credit, so the ledger sees the same actor (audited under its own name) allowed to."""
    return dataclasses.replace(actor, permissions=actor.permissions | {Permission.POINTS_WRITE})


async def fulfil(
    actor: Actor, campaign: CampaignView, issuance_id: uuid.UUID, offer_id: uuid.UUID | None, recipient_id: uuid.UUID, value: int
) -> uuid.UUID | None:
    """In the caller's transaction: credit the points (returns the ledger transfer's id) or take a
    voucher code of the offer for the issuance (returns None). Raises Rejected (OUT_OF_STOCK,
    OFFER_NOT_LIVE, INVALID_DENOMINATION)."""
    if offer_id is None:
        change = await ledger.earn(
            _ledger_actor(actor),
            campaign.programme_id,
            recipient_id,
            value,
            source=Source.CAMPAIGN,
            reference=f"reward:{issuance_id}",
            reason=f"campaign {campaign.name}"[:500],
        )
        return change.transfer.id
    try:
        await allocation.allocate_code(actor, offer_id, value, issuance_id)
    except DomainError as error:
        rejected = allocation_refused(error)
        if rejected is None:
            raise
        raise rejected from None
    return None


def issued_event(issuance: dict) -> tuple[uuid.UUID, sql.Statement]:
    """The ``reward.issued`` outbox event of an issuance (JSON values only)."""
    payload = {key: (str(value) if isinstance(value, uuid.UUID) else value) for key, value in issuance.items()}
    return outbox.event(REWARD_ISSUED, payload)


# ---------------------------------------------------------------- issuing


_INSERT = """INSERT INTO reward_issuances (id, campaign, recipient_id, offer_id, terms_version_id, value, currency, points_transfer_id,
    source_event, channel, status, requested_by_kind, requested_by_id, requested_by_label, idempotency_key, created_at, issued_at,
    decided_by_label, decided_at, decision_note)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, NULL, NULL, '')"""


async def _issue(
    actor: Actor,
    request: RewardRequest,
    events: list[uuid.UUID],
    recipient: RecipientView | None,
    campaign: CampaignView | None,
    under_lock: bool,
) -> IssuanceOutcome:
    now = utcnow()
    if campaign is None:
        raise Rejected(RejectionCode.CAMPAIGN_NOT_FOUND, f"campaign {request.campaign_id} does not exist")
    if recipient is None or recipient.id != request.recipient_id:
        recipient = await read_recipient(request.recipient_id)
    checked = check_request(campaign, request, recipient, await read_offer(request.offer_id), now)
    pending = campaign.approval_mode == ADMIN_APPROVAL
    issuance_id = new_id()
    grant = governance.NewGrant(
        id=issuance_id,
        recipient_id=request.recipient_id,
        offer_id=request.offer_id,
        value=request.value,
        pending=pending,
        source_event=request.source_event or "",
    )
    # Locks in governance's order: the recipient's tally, the wallet or voucher code, a counter
    # shard of the campaign last (held for the shortest time).
    if (refusal := await governance.hold_recipient(campaign, grant, now)) is not None:
        raise refused(refusal)
    transfer_id = (
        None if pending else await fulfil(actor, campaign, issuance_id, request.offer_id, request.recipient_id, request.value)
    )
    await governance.count(actor, campaign, grant, now, refused=refused, under_lock=under_lock)
    status = PENDING_APPROVAL if pending else ISSUED
    issuance = {
        "issuance_id": issuance_id,
        "campaign_id": campaign.id,
        "recipient_id": request.recipient_id,
        "offer_id": request.offer_id,
        "terms_version_id": checked.terms_version_id,
        "value": request.value,
        "currency": checked.currency,
        "points_transfer_id": transfer_id,
        "source_event": request.source_event or "",
        "channel": checked.channel,
        "status": status,
    }
    sql.defer(
        sql.Statement(
            _INSERT,
            (
                issuance_id,
                campaign.id,
                request.recipient_id,
                request.offer_id,
                checked.terms_version_id,
                request.value,
                checked.currency,
                transfer_id,
                request.source_event or "",
                checked.channel,
                status,
                actor.kind.value,
                actor.id,
                actor.label,
                request.idempotency_key,
                now,
                None if pending else now,
            ),
        )
    )
    sql.defer(audit.entry(actor, f"reward.{status}", "reward_issuance", issuance_id, after=issuance))
    if not pending:
        event_id, insert = issued_event(issuance)
        sql.defer(insert)
        events.append(event_id)
    shown = format_value(request.value, checked.currency)
    message = (
        f"{shown} waiting for approval in '{campaign.name}'"
        if pending
        else f"{shown} issued from '{campaign.name}', queued for delivery by {checked.channel}"
    )
    return IssuanceOutcome(status=status, issuance_id=issuance_id, rejection=None, message=message, replayed=False)


async def issue_reward(
    actor: Actor, request: RewardRequest, *, idempotency_scope: str | None = None, recipient: RecipientView | None = None
) -> IssuanceOutcome:
    """Issue one reward (or hold it for approval), or say why not. Requires rewards:write.

    Same key + same request → the first outcome (``replayed=True``); same key + another request →
    DomainError IDEMPOTENCY_CONFLICT. ``idempotency_scope`` replaces the caller identity under which
    the key is recorded (an upload passes ``upload:<id>``, so a retry by another admin never issues twice).
    ``recipient`` is the request's recipient when the caller has just read it (the API, resolving an
    external id), so it is not read twice; otherwise it is read here."""
    actor.require(Permission.REWARDS_WRITE)
    check_text("source_event", request.source_event)
    check_text("channel", request.channel)
    key = idempotency_request(actor, request, idempotency_scope)
    # The campaign as last read, when there is one (a read less per reward): governance counts the
    # reward only if its rules are still those, and a refusal is re-checked against a fresh read.
    campaign = last_read_campaign(request.campaign_id)
    hinted, under_lock = campaign is not None, False
    for _ in range(4):
        if campaign is None:
            campaign, hinted = await find_campaign(request.campaign_id), False
        events: list[uuid.UUID] = []
        try:
            outcome = await idempotency.once(
                key, functools.partial(_issue, actor, request, events, recipient, campaign, under_lock), IssuanceOutcome
            )
        except governance.Crowded:
            under_lock = True  # the shard tried was short: decide again on the sum (rolled back, no lock held)
            continue
        except governance.RulesChanged:
            campaign = None  # edited meanwhile: decide again on its rules as they are now
            continue
        except Rejected as rejected:
            if hinted:
                fresh = await find_campaign(request.campaign_id)
                if fresh is None or fresh.updated_at != campaign.updated_at:
                    campaign, hinted = fresh, False  # decided on older rules: decide again
                    continue
            return _rejection(rejected.rejection, rejected.errors[0].message)
        if outcome.replayed:
            return dataclasses.replace(outcome.value, replayed=True)
        await outbox.ring(events)
        return outcome.value
    return _rejection(
        RejectionCode.CAMPAIGN_NOT_ACTIVE, f"campaign {request.campaign_id} kept changing while this reward was decided; retry"
    )


def _rejection(code: RejectionCode, message: str) -> IssuanceOutcome:
    return IssuanceOutcome(status=REJECTED, issuance_id=None, rejection=code, message=message, replayed=False)


async def issue_rewards(
    actor: Actor, requests: list[RewardRequest], *, idempotency_scope: str | None = None
) -> list[IssuanceOutcome]:
    """Each request decided on its own, in its own transaction (one rejection does not stop the
    rest); outcomes in the order of ``requests``. A bad or conflicting key is that row's rejection
    (IDEMPOTENCY_KEY_INVALID, IDEMPOTENCY_CONFLICT) here, not an exception."""
    actor.require(Permission.REWARDS_WRITE)
    for request in requests:  # before any is issued: a refusal here changes nothing
        check_text("source_event", request.source_event)
        check_text("channel", request.channel)
    outcomes = []
    for request in requests:
        try:
            outcomes.append(await issue_reward(actor, request, idempotency_scope=idempotency_scope))
        except DomainError as error:
            if error.code not in (idempotency.IDEMPOTENCY_CONFLICT, idempotency.IDEMPOTENCY_KEY_INVALID):
                raise
            outcomes.append(_rejection(RejectionCode(error.code), error.errors[0].message))
    return outcomes


# ---------------------------------------------------------------- the dry run


async def price_rewards(actor: Actor, campaign_id: uuid.UUID, requests: list[RewardRequest]) -> PricedBatch:
    """What issuing ``requests`` in order would do against the campaign's current state: the same
    checks as ``issue_reward``, the caps, budget and stock counted forward row by row. Writes
    nothing. (Keys already used are not looked up: a row that would replay is priced as new.)"""
    actor.require(Permission.REWARDS_WRITE)
    campaign = await find_campaign(campaign_id)
    if campaign is None:
        raise DomainError.single(
            RejectionCode.CAMPAIGN_NOT_FOUND.value, f"campaign {campaign_id} does not exist", field="campaign_id"
        )
    now = utcnow()
    people = await recipients.recipients_by_ids(SYSTEM, list({request.recipient_id for request in requests}))
    offer_ids = {request.offer_id for request in requests if request.offer_id is not None}
    offers = {offer_id: await read_offer(offer_id) for offer_id in offer_ids}
    # Usable codes per (offer, denomination), counted down as rows take them.
    stock_left: dict[tuple[uuid.UUID, int], int] = {}
    levels = await stock.stock_levels_by_offer(SYSTEM, [offer_id for offer_id, offer in offers.items() if offer is not None])
    for offer_id, offer_levels in levels.items():
        for level in offer_levels:
            stock_left[(offer_id, level.denomination)] = level.available
    usage = await governance.recipient_usage(campaign, people.keys(), now)
    used_count, used_value = campaign.issued_count + campaign.pending_count, campaign.issued_value + campaign.pending_value
    pending = campaign.approval_mode == ADMIN_APPROVAL
    rows, rejected, would_issue, would_pend, total = [], Counter(), 0, 0, 0
    for index, request in enumerate(requests):
        try:
            check_request(campaign, request, people.get(request.recipient_id), offers.get(request.offer_id), now)
            count, value = usage.get(request.recipient_id, (0, 0))
            refusal = (
                governance.recipient_refusal(campaign, request.value, count, value) if campaign.has_recipient_caps else None
            ) or governance.capacity_refusal(campaign, request.value, used_count, used_value)
            if refusal is not None:
                raise refused(refusal)
            if request.offer_id is not None and not pending:
                if stock_left.get((request.offer_id, request.value), 0) < 1:
                    raise Rejected(
                        RejectionCode.OUT_OF_STOCK,
                        f"no {format_value(request.value, campaign.currency)} code of this offer would be left",
                    )
                stock_left[(request.offer_id, request.value)] -= 1
        except Rejected as turned_down:
            rejected[turned_down.rejection.value] += 1
            rows.append(PricedRow(index=index, outcome=turned_down.rejection.value, message=turned_down.errors[0].message))
            continue
        usage[request.recipient_id] = (count + 1, value + request.value)
        used_count, used_value, total = used_count + 1, used_value + request.value, total + request.value
        if pending:
            would_pend += 1
            rows.append(PricedRow(index=index, outcome=PENDING_APPROVAL, message="would wait for approval"))
        else:
            would_issue += 1
            rows.append(PricedRow(index=index, outcome="issue", message="would be issued"))
    left_before = campaign.remaining_budget
    return PricedBatch(
        campaign_id=campaign.id,
        currency=campaign.currency or POINTS_UNIT,
        total_value=total,
        budget=campaign.budget,
        budget_left_before=left_before,
        budget_left_after=None if left_before is None else left_before - total,
        would_issue=would_issue,
        would_pend=would_pend,
        rejected_by_code=dict(rejected),
        rows=rows,
    )
