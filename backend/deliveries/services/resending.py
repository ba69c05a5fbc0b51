"""Resending deliveries: one, a selection, or every failed delivery of a bulk upload.

A resend puts the delivery back to ``pending``, due now, with the primary provider's turn and no
failure; its attempts stay (numbers go on from where they were), so its timeline keeps the whole
history. Optionally on another channel, and/or to a corrected contact, which is validated like any
recipient record and saved on the recipient too (through the recipients domain's service).

Refused per delivery, with the reason in the report: a delivery a worker is sending right now
(``DELIVERY_IN_FLIGHT``: the conditional UPDATE decides, not a read), a reward no longer issued
(``REWARD_VOIDED``), one past its expiry (``REWARD_EXPIRED``), a channel without a contact
(``MISSING_CONTACT``), and one a provider accepted already (``ALREADY_SENT``): providers are
given the delivery id as their idempotency key (and the sandbox keeps one message per delivery),
so sending it again would be deduplicated into nothing; its claim link reaches the person instead. Bad arguments (a channel that does not exist, a contact that is not one)
refuse the whole call with a ``DomainError`` and change nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from backend.core import audit, idempotency, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.core.text import check_text
from backend.deliveries import queue
from backend.deliveries.services.creation import contact_for
from backend.deliveries.views import MISSING_CONTACT, PENDING, PRIMARY, SENDING, SENT
from backend.recipients import contact_corrections
from backend.recipients import services as recipients
from backend.recipients.services.validation import CHANNELS
from backend.rewards.services import summaries
from backend.rewards.views import ISSUED

DELIVERY_IN_FLIGHT = "DELIVERY_IN_FLIGHT"
REWARD_VOIDED = "REWARD_VOIDED"
REWARD_EXPIRED = "REWARD_EXPIRED"
ALREADY_SENT = "ALREADY_SENT"
_SENT_STATUSES = (SENT, "delivered")  # delivered: confirmed by a provider's callback
NOT_FOUND = "NOT_FOUND"
MAX_CONTACT = 254  # the longest email address
MAX_SELECTION = 500  # deliveries per resend call (one transaction); an upload's go in chunks of this

_RESET = """UPDATE deliveries SET status = $2, channel = $3, contact = $4, next_attempt_at = $5, claimed_until = NULL,
    provider_role = $6, role_attempts = 0, failure_code = NULL, failure_reason = NULL, sent_at = NULL, updated_at = $5
    WHERE id = $1 AND status NOT IN ($7, $8, $9) RETURNING attempts"""


@dataclass(frozen=True)
class Resent:
    delivery_id: uuid.UUID
    issuance_id: uuid.UUID
    channel: str
    contact: str


@dataclass(frozen=True)
class ResentReward:
    resent: Resent
    replayed: bool  # True: an earlier call with this idempotency key; nothing happened now


@dataclass(frozen=True)
class ResendRefusal:
    delivery_id: uuid.UUID
    code: str  # DELIVERY_IN_FLIGHT | ALREADY_SENT | REWARD_VOIDED | REWARD_EXPIRED | MISSING_CONTACT | NOT_FOUND
    message: str


@dataclass(frozen=True)
class ResendReport:
    resent: list[Resent] = field(default_factory=list)
    refused: list[ResendRefusal] = field(default_factory=list)


def check_channel(channel: str | None) -> str | None:
    """None, or a known channel (INVALID_CHANNEL on ``channel`` otherwise)."""
    if channel is None:
        return None
    check_text("channel", channel, 16)
    value = channel.strip().lower()
    if value not in CHANNELS:
        raise DomainError.single(
            "INVALID_CHANNEL", f"a channel is one of {', '.join(CHANNELS)}, not '{channel}'", field="channel"
        )
    return value


def check_contact(contact: str | None) -> str | None:
    """None, or the contact as text a person could have typed (INVALID_CHARACTERS, TOO_LONG on ``contact``);
    whether it is an email address or a phone number is checked against the channel later."""
    if contact is None:
        return None
    check_text("contact", contact, MAX_CONTACT)
    return contact.strip()


async def resend(
    actor: Actor,
    delivery_ids: list[uuid.UUID],
    *,
    channel: str | None = None,
    contact: str | None = None,
    idempotency_key: str | None = None,
) -> ResendReport:
    """Resend these deliveries (at most ``MAX_SELECTION``), optionally on ``channel`` and/or to a
    corrected ``contact`` (saved on the recipient too); a report of what was resent and what was
    refused and why. With ``idempotency_key``, a replay returns the first report."""
    actor.require(Permission.DELIVERIES_WRITE)
    ids = list(dict.fromkeys(delivery_ids))
    if not ids:
        raise DomainError.single("REQUIRED", "choose at least one delivery to resend", field="delivery_ids")
    if len(ids) > MAX_SELECTION:
        raise DomainError.single("TOO_MANY", f"resend at most {MAX_SELECTION} deliveries at once", field="delivery_ids")
    channel, contact = check_channel(channel), check_contact(contact)
    request = idempotency.Request.of(
        actor,
        idempotency_key,
        "deliveries.resend",
        {"delivery_ids": sorted(map(str, ids)), "channel": channel, "contact": contact},
    )
    events: list[uuid.UUID] = []

    async def effect() -> ResendReport:
        events.clear()
        return await _resend(actor, ids, channel, contact, events)

    outcome = await idempotency.once(request, effect, ResendReport)
    if not outcome.replayed:
        await _wake(events)  # after commit; the senders' own look is the safety net
    return outcome.value


async def resend_reward(
    actor: Actor,
    issuance_id: uuid.UUID,
    *,
    channel: str | None = None,
    contact: str | None = None,
    idempotency_key: str | None = None,
) -> ResentReward:
    """Resend the delivery of one reward (GraphQL's ``resendReward``); its refusal is raised as a
    ``DomainError`` (field ``reward_id``), so a refused call stores no idempotency record."""
    actor.require(Permission.DELIVERIES_WRITE)
    channel, contact = check_channel(channel), check_contact(contact)
    request = idempotency.Request.of(
        actor,
        idempotency_key,
        "deliveries.resend_reward",
        {"reward_id": str(issuance_id), "channel": channel, "contact": contact},
    )
    row = await sql.fetchrow("SELECT id FROM deliveries WHERE issuance_id = $1", issuance_id)
    if row is None:
        raise DomainError.single(NOT_FOUND, f"reward {issuance_id} has no delivery", field="reward_id")
    events: list[uuid.UUID] = []

    async def effect() -> Resent:
        events.clear()
        report = await _resend(actor, [row["id"]], channel, contact, events)
        if report.refused:
            refusal = report.refused[0]
            raise DomainError.single(refusal.code, refusal.message, field="reward_id")
        return report.resent[0]

    outcome = await idempotency.once(request, effect, Resent)
    if not outcome.replayed:
        await _wake(events)
    return ResentReward(outcome.value, outcome.replayed)


async def resend_failed_of_upload(actor: Actor, upload_id: uuid.UUID) -> ResendReport:
    """Resend every failed delivery of the rewards a bulk upload issued, in chunks of
    ``MAX_SELECTION`` (one transaction each); one report for all."""
    actor.require(Permission.DELIVERIES_WRITE)
    rows = await sql.fetch("SELECT id FROM deliveries WHERE upload_id = $1 AND status = 'failed' ORDER BY id", upload_id)
    return await resend_in_chunks(actor, [row["id"] for row in rows])


async def resend_in_chunks(actor: Actor, delivery_ids: list[uuid.UUID]) -> ResendReport:
    """``resend`` of any number of deliveries, ``MAX_SELECTION`` per transaction; one report for all."""
    resent: list[Resent] = []
    refused: list[ResendRefusal] = []
    for start in range(0, len(delivery_ids), MAX_SELECTION):
        report = await resend(actor, delivery_ids[start : start + MAX_SELECTION])
        resent.extend(report.resent)
        refused.extend(report.refused)
    return ResendReport(resent=resent, refused=refused)


async def _resend(
    actor: Actor, ids: list[uuid.UUID], channel: str | None, contact: str | None, events: list[uuid.UUID]
) -> ResendReport:
    """In the caller's write transaction."""
    wanted = sql.Conditions().in_list("id", ids)
    rows = {row["id"]: row for row in await sql.fetch(wanted.statement("SELECT * FROM deliveries"), *wanted.args)}
    if contact is not None and rows:
        await _correct_contact(actor, rows, channel, contact)
    # The rewards and the people of the whole selection, read at once (after the contact was
    # corrected, so the resend reads it back): a selection of 500 is a few queries, not 1,000.
    rewards = await summaries.reward_summaries(SYSTEM, list({row["issuance_id"] for row in rows.values()}))
    people = await recipients.recipients_by_ids(SYSTEM, list({row["recipient_id"] for row in rows.values()}))
    today, now = utcnow().date(), utcnow()
    resent: list[Resent] = []
    refused: list[ResendRefusal] = []
    for delivery_id in ids:
        row = rows.get(delivery_id)
        refusal = _refusal(delivery_id, row, rewards.get(row["issuance_id"]) if row else None, today)
        if refusal is not None:
            refused.append(refusal)
            continue
        target = channel or row["channel"]
        address, missing = contact_for(people[row["recipient_id"]], target)  # the recipient's contact as corrected now
        if not address:
            refused.append(ResendRefusal(delivery_id, MISSING_CONTACT, missing))
            continue
        reset = await sql.fetch(_RESET, delivery_id, PENDING, target, address, now, PRIMARY, SENDING, *_SENT_STATUSES)
        if not reset:  # a worker claimed it (or sent it) between our read and this update
            refused.append(_in_flight(delivery_id))
            continue
        events.append(delivery_id)
        await audit.record(
            actor,
            "delivery.resent",
            "delivery",
            delivery_id,
            before={"status": row["status"], "channel": row["channel"], "contact": row["contact"], "code": row["failure_code"]},
            after={"status": PENDING, "channel": target, "contact": address, "attempts_so_far": reset[0]["attempts"]},
        )
        resent.append(Resent(delivery_id, row["issuance_id"], target, address))
    return ResendReport(resent=resent, refused=refused)


async def _wake(resent: list[uuid.UUID]) -> None:
    if resent:
        await queue.wake_sender()


async def _correct_contact(actor: Actor, rows: dict, channel: str | None, contact: str) -> None:
    """The corrected contact belongs to one recipient and one channel: saved on the recipient first
    (validated there; a bad one raises and nothing changes), then each resend reads it back."""
    recipient_ids = {row["recipient_id"] for row in rows.values()}
    channels = {channel or row["channel"] for row in rows.values()}
    if len(recipient_ids) != 1 or len(channels) != 1:
        raise DomainError.single(
            "CONTACT_FOR_ONE_RECIPIENT",
            "a corrected contact applies to the deliveries of one recipient on one channel",
            field="contact",
        )
    (recipient_id,), (target,) = recipient_ids, channels
    try:
        await contact_corrections.correct_contact(actor, recipient_id, contact_corrections.contact_field_of(target), contact)
    except DomainError as error:
        if error.code not in ("INVALID_EMAIL", "INVALID_PHONE", "REQUIRED"):
            raise
        # The caller named it ``contact``; the message says which recipient field it was for.
        raise DomainError.single(error.code, error.errors[0].message, field="contact") from None


def _in_flight(delivery_id: uuid.UUID) -> ResendRefusal:
    return ResendRefusal(delivery_id, DELIVERY_IN_FLIGHT, "a worker is sending this delivery right now: try again in a minute")


def _refusal(delivery_id: uuid.UUID, row, summary: summaries.RewardSummary | None, today) -> ResendRefusal | None:
    if row is None or summary is None:  # a delivery always has its reward; never one without
        return ResendRefusal(delivery_id, NOT_FOUND, f"delivery {delivery_id} does not exist")
    if row["status"] == SENDING:
        return _in_flight(delivery_id)
    if row["status"] in _SENT_STATUSES:
        return ResendRefusal(
            delivery_id, ALREADY_SENT, f"the {row['provider']} provider accepted it already: share its claim link instead"
        )
    if summary.issuance.status != ISSUED:
        return ResendRefusal(delivery_id, REWARD_VOIDED, f"the reward is {summary.issuance.status}, no longer issued")
    if summary.expires_on is not None and summary.expires_on < today:
        return ResendRefusal(delivery_id, REWARD_EXPIRED, f"the reward expired on {summary.expires_on.isoformat()}")
    return None
