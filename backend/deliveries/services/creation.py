"""One delivery per issued reward: on the recipient's channel, with the contact that channel needs.

``deliver_rewards`` runs in the ``reward.issued`` handler's transaction, for a job's events at once
(``deliver_reward``: one reward, the same code); ``backfill`` gives every
issued reward without a delivery its own (rewards issued before deliveries existed, and those whose
events were parked as failed). Both insert with ``ON CONFLICT (issuance_id) DO NOTHING``: an event
delivered twice, or a backfill running beside the worker, never makes a second delivery.

The channel: the recipient's ``preferred_channel``, else the issuance's (the request's, else its
campaign's ``default_channel``), else email. (Programmes carry no channel of their own: the
issuance's channel is never empty, so a programme default would never be consulted.) The contact:
the email address; the phone for SMS; for WhatsApp the WhatsApp number, else the phone. A recipient
without it gets a delivery flagged failed at once, its reason naming the missing field; nothing is sent.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache

from backend.core import audit, outbox, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import NotFound
from backend.core.ids import new_id
from backend.deliveries import claim_links, queue
from backend.deliveries.events import REWARD_DELIVERY_FAILED, delivery_payload
from backend.deliveries.queue import DueSend
from backend.deliveries.views import FAILED, MISSING_CONTACT, PENDING, PRIMARY
from backend.recipients import services as recipients
from backend.recipients.services.validation import CHANNELS
from backend.recipients.services.views import RecipientView
from backend.rewards.services import summaries
from backend.rewards.services.summaries import RewardSummary
from backend.rewards.views import ISSUED

DEFAULT_LANGUAGE = "en"
_LANGUAGE = re.compile(r"^[a-z]{2}$")
BACKFILL_BATCH = 200

_INSERT = """INSERT INTO deliveries (id, issuance_id, recipient_id, programme_id, campaign_id, channel, contact, language, status,
    attempts, provider_role, role_attempts, next_attempt_at, claimed_until, provider, provider_message_id, failure_code,
    failure_reason, claim_token_hash, created_at, updated_at, sent_at, upload_id, issued_at)
VALUES {rows}
ON CONFLICT (issuance_id) DO NOTHING RETURNING id"""
# One row's values as the one-row statement had them, numbered from 1: $15 (created_at) doubles as updated_at.
_ROW = "($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, 0, $11, NULL, NULL, NULL, $12, $13, $14, $15, $15, NULL, $16, $17)"
_ROW_VALUES = 17
_MARK = re.compile(r"\$(\d+)")


@lru_cache(maxsize=64)
def _insert_sql(rows: int) -> str:
    """The INSERT of ``rows`` deliveries, each row's placeholders shifted past the previous rows'
    (placeholders only: every value is bound)."""

    def row(n: int) -> str:
        return _MARK.sub(lambda mark: f"${int(mark.group(1)) + n * _ROW_VALUES}", _ROW)

    return _INSERT.format(rows=",\n".join(row(n) for n in range(rows)))


@dataclass(frozen=True)
class Created:
    delivery_id: uuid.UUID
    due: DueSend | None  # None: flagged failed at creation (no contact), nothing to send


def delivery_channel(recipient: RecipientView, issuance_channel: str | None) -> str:
    for channel in (recipient.preferred_channel, issuance_channel):
        if channel in CHANNELS:
            return channel
    return "email"


def contact_for(recipient: RecipientView, channel: str) -> tuple[str | None, str]:
    """The address the channel needs, and, when there is none, why not in words."""
    if channel == "email":
        return recipient.email, f"{recipient.full_name} has no email address on record (field email): an email cannot be sent"
    if channel == "sms":
        return recipient.phone, f"{recipient.full_name} has no phone number on record (field phone): an SMS cannot be sent"
    return (
        recipient.whatsapp or recipient.phone,
        f"{recipient.full_name} has neither a WhatsApp number nor a phone number on record (fields whatsapp, phone): "
        "a WhatsApp message cannot be sent",
    )


def language_of(recipient: RecipientView) -> str:
    language = str(recipient.hr_attributes.get("language", "")).strip().lower()
    return language if _LANGUAGE.match(language) else DEFAULT_LANGUAGE


async def deliver_reward(issuance_id: uuid.UUID) -> Created | None:
    """In the caller's transaction: the reward's delivery, pending and due at once (the workers'
    senders claim it; wake them after commit); None when the reward already has one (or is not issued)."""
    return (await deliver_rewards([issuance_id])).get(issuance_id)


async def deliver_rewards(issuance_ids: list[uuid.UUID]) -> dict[uuid.UUID, Created]:
    """:func:`deliver_reward` for many rewards at once (the ``reward.issued`` events of a job): one
    read of the issuances, one of their recipients, one insert. Returns the deliveries made, by
    issuance; a reward that already has one, or is not issued, is absent. NotFound when a reward
    or its recipient is missing (nothing is written: the caller's transaction rolls back)."""
    wanted = list(dict.fromkeys(issuance_ids))
    summaries_by_id = await summaries.reward_summaries(SYSTEM, wanted)
    if missing := [issuance_id for issuance_id in wanted if issuance_id not in summaries_by_id]:
        raise NotFound("issuance", missing[0], field="issuance_id")
    issued = [summaries_by_id[issuance_id] for issuance_id in wanted if summaries_by_id[issuance_id].issuance.status == ISSUED]
    if not issued:
        return {}
    people = await recipients.recipients_by_ids(SYSTEM, list({summary.issuance.recipient_id for summary in issued}))
    now = utcnow()
    planned: dict[uuid.UUID, tuple[RewardSummary, RecipientView, str, str | None, str]] = {}
    values: list = []
    for summary in issued:
        issuance = summary.issuance
        recipient = people.get(issuance.recipient_id)
        if recipient is None:
            raise NotFound("recipient", issuance.recipient_id, field="id")
        channel = delivery_channel(recipient, issuance.channel)
        contact, missing_contact = contact_for(recipient, channel)
        delivery_id = new_id()
        failure = (MISSING_CONTACT, missing_contact) if not contact else (None, None)
        planned[delivery_id] = (summary, recipient, channel, contact, missing_contact)
        values += [
            delivery_id,
            issuance.id,
            recipient.id,
            summary.programme_id,
            issuance.campaign_id,
            channel,
            contact,
            language_of(recipient),
            PENDING if contact else FAILED,
            PRIMARY,
            now if contact else None,
            *failure,
            claim_links.token_hash(claim_links.claim_token(delivery_id)),
            now,
            summaries.upload_of(issuance.source_event),
            issuance.issued_at or issuance.created_at,
        ]
    rows = await sql.fetch(_insert_sql(len(planned)), *values)
    made: dict[uuid.UUID, Created] = {}
    for row in rows:  # the ones made now; a reward that had its delivery already is not among them
        summary, recipient, channel, contact, missing_contact = planned[row["id"]]
        made[summary.issuance.id] = (
            Created(row["id"], DueSend(row["id"], 1))
            if contact
            else await _flag_missing_contact(row["id"], summary, recipient, channel, missing_contact, now)
        )
    return made


async def _flag_missing_contact(
    delivery_id: uuid.UUID, summary: RewardSummary, recipient: RecipientView, channel: str, missing: str, now
) -> Created:
    """A delivery made failed (no contact for its channel): audited, and integrators hear of it as of
    any other failed delivery: nothing was sent, nothing will be."""
    await audit.record(
        SYSTEM,
        "delivery.failed",
        "delivery",
        delivery_id,
        after={"status": FAILED, "code": MISSING_CONTACT, "reason": missing},
    )
    row = {
        "id": delivery_id,
        "issuance_id": summary.issuance.id,
        "recipient_id": recipient.id,
        "programme_id": summary.programme_id,
        "campaign_id": summary.issuance.campaign_id,
        "channel": channel,
        "provider": None,
    }
    await outbox.add(REWARD_DELIVERY_FAILED, delivery_payload(row, FAILED, now, code=MISSING_CONTACT, reason=missing))
    return Created(delivery_id, None)


@dataclass(frozen=True)
class BackfillReport:
    examined: int  # issued rewards looked at
    created: int  # deliveries made now
    flagged: int  # of which flagged at once for a missing contact
    skipped: int  # rewards that could not be read (a recipient gone): none expected


async def backfill(actor: Actor, batch: int = BACKFILL_BATCH) -> BackfillReport:
    """Give every issued reward without a delivery its own. Idempotent: a second run makes nothing."""
    actor.require(Permission.DELIVERIES_WRITE)
    examined = created = flagged = skipped = 0
    after: uuid.UUID | None = None
    while True:
        page = await summaries.issued_after(SYSTEM, after, batch)
        if not page:
            break
        after = page[-1]
        examined += len(page)
        delivered = await _delivered(page)
        missing = [issuance_id for issuance_id in page if issuance_id not in delivered]
        due = 0
        if missing:
            async with write_transaction():
                for issuance_id in missing:
                    try:
                        made = await deliver_reward(issuance_id)
                    except NotFound:
                        skipped += 1
                        continue
                    if made is None:
                        continue
                    created += 1
                    flagged += made.due is None
                    due += made.due is not None
            if due:
                await queue.wake_sender()  # after commit; the senders' own look is the safety net
        if len(page) < batch:
            break
    report = BackfillReport(examined=examined, created=created, flagged=flagged, skipped=skipped)
    if created:
        await audit.record(actor, "deliveries.backfilled", "delivery", "backfill", after=dataclasses.asdict(report))
    return report


async def _delivered(issuance_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    wanted = sql.Conditions().in_list("issuance_id", issuance_ids)
    rows = await sql.fetch(wanted.statement("SELECT issuance_id FROM deliveries"), *wanted.args)
    return {row["issuance_id"] for row in rows}
