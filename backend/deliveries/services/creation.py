"""One delivery per issued reward: on the recipient's channel, with the contact that channel needs.

``deliver_reward`` runs in the ``reward.issued`` handler's transaction; ``backfill`` gives every
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

from backend.core import audit, outbox, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import NotFound
from backend.core.ids import new_id
from backend.deliveries import claim_links
from backend.deliveries.queue import DueSend
from backend.deliveries.views import DELIVERY_DUE, FAILED, MISSING_CONTACT, PENDING, PRIMARY
from backend.recipients import service as recipients
from backend.recipients.service import CHANNELS, RecipientView
from backend.rewards.services import summaries
from backend.rewards.views import ISSUED

DEFAULT_LANGUAGE = "en"
_LANGUAGE = re.compile(r"^[a-z]{2}$")
BACKFILL_BATCH = 200

_INSERT = """INSERT INTO deliveries (id, issuance_id, recipient_id, programme_id, campaign_id, channel, contact, language, status,
    attempts, provider_role, role_attempts, next_attempt_at, claimed_until, provider, provider_message_id, failure_code,
    failure_reason, claim_token_hash, created_at, updated_at, sent_at, upload_id, issued_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, 0, $11, NULL, NULL, NULL, $12, $13, $14, $15, $15, NULL, $16, $17)
ON CONFLICT (issuance_id) DO NOTHING RETURNING id"""


@dataclass(frozen=True)
class Created:
    delivery_id: uuid.UUID
    due: DueSend | None  # None: flagged failed at creation (no contact), nothing to send
    event_id: uuid.UUID | None  # its delivery.due outbox event, to ring after commit


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
    """In the caller's transaction: the reward's delivery and its ``delivery.due`` event; None when
    the reward already has one (or is not issued)."""
    summary = await summaries.reward_summary(SYSTEM, issuance_id)
    issuance = summary.issuance
    if issuance.status != ISSUED:
        return None
    recipient = await recipients.get_recipient(SYSTEM, recipient_id=issuance.recipient_id)
    channel = delivery_channel(recipient, issuance.channel)
    contact, missing = contact_for(recipient, channel)
    delivery_id, now = new_id(), utcnow()
    failure = (MISSING_CONTACT, missing) if not contact else (None, None)
    rows = await sql.fetch(
        _INSERT,
        delivery_id,
        issuance_id,
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
    )
    if not rows:
        return None  # the reward has its delivery already
    if not contact:
        await audit.record(
            SYSTEM,
            "delivery.failed",
            "delivery",
            delivery_id,
            after={"status": FAILED, "code": MISSING_CONTACT, "reason": missing},
        )
        return Created(delivery_id, None, None)
    event_id = await outbox.add(DELIVERY_DUE, {"delivery_id": str(delivery_id)})
    return Created(delivery_id, DueSend(delivery_id, 1), event_id)


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
        events: list[uuid.UUID] = []
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
                    if made.event_id is not None:
                        events.append(made.event_id)
            await outbox.ring(events)  # after commit; the relay is the safety net
        if len(page) < batch:
            break
    report = BackfillReport(examined=examined, created=created, flagged=flagged, skipped=skipped)
    if created:
        await audit.record(actor, "deliveries.backfilled", "delivery", "backfill", after=dataclasses.asdict(report))
    return report


async def _delivered(issuance_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    placeholders = ", ".join(f"${index}" for index in range(1, len(issuance_ids) + 1))
    rows = await sql.fetch(f"SELECT issuance_id FROM deliveries WHERE issuance_id IN ({placeholders})", *issuance_ids)
    return {row["issuance_id"] for row in rows}
