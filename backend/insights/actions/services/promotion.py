"""A targeted promotional push: a segment (an eligibility rule over recipients, the catalogue's
rule language) → its active recipients → one message each through the programme's delivery
channels (a deliveries announcement, sent by the worker in batches with its progress counted).

The preview comes first: :func:`preview_promotion` counts the segment in the database, and
:func:`send_promotion` takes that count back (``expected_recipients``) and refuses
(RECIPIENTS_CHANGED) when the segment has changed since, so what is sent is what was previewed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.catalog.services import eligibility, offers, segments
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.text import check_text
from backend.deliveries.services import announcements
from backend.deliveries.services.announcements import AnnouncementView
from backend.insights.actions.services import records
from backend.insights.actions.views import PROMOTION, ActionView
from backend.recipients import services as recipients


@dataclass(frozen=True)
class PromotionPreview:
    segment_rule: str  # canonical
    recipients: int  # active recipients in the segment: the messages a send makes
    total: int  # active recipients


async def preview_promotion(actor: Actor, segment_rule: str) -> PromotionPreview:
    """How many active recipients the segment holds, of how many (INVALID_RULE for a bad rule)."""
    actor.require(Permission.DELIVERIES_WRITE)
    check_text("segment_rule", segment_rule, multiline=True)
    preview = await eligibility.preview_eligibility(SYSTEM, segment_rule)
    return PromotionPreview(segment_rule=preview.rule, recipients=preview.eligible, total=preview.total)


async def send_promotion(
    actor: Actor,
    programme_id: uuid.UUID,
    segment_rule: str,
    subject: str,
    text: str,
    *,
    expected_recipients: int | None = None,
    offer_id: uuid.UUID | None = None,
    partner_id: uuid.UUID | None = None,
    review_id: uuid.UUID | str | None = None,
) -> ActionView:
    """Record the push and hand its messages to the worker. The text may use {{ recipient_name }},
    and {{ offer_name }} / {{ partner_name }} of the offer promoted (``offer_id``). Without
    ``expected_recipients`` (no preview) the segment is sent to as it is now."""
    actor.require(Permission.DELIVERIES_WRITE)
    check_text("segment_rule", segment_rule, multiline=True)
    check_text("subject", subject)
    check_text("text", text, multiline=True)
    review = records.review_id_of(review_id)
    rule = eligibility.check_rule(segment_rule)
    if not rule:
        raise DomainError.single("REQUIRED", "name the segment (an empty rule is every recipient)", field="segment_rule")
    await recipients.get_programme(SYSTEM, programme_id)
    variables = {}
    if offer_id is not None:
        offer = await offers.get_offer(SYSTEM, offer_id)
        variables = {"offer_name": offer.title, "partner_name": offer.partner_name}
        partner_id = partner_id or offer.partner_id
    announcements.check_message(subject, text)
    async with write_transaction():
        recipient_ids = await segments.segment_recipient_ids(SYSTEM, rule)
        if expected_recipients is not None and len(recipient_ids) != expected_recipients:
            raise DomainError.single(
                "RECIPIENTS_CHANGED",
                f"the segment now holds {len(recipient_ids):,} recipients, not the {expected_recipients:,} previewed: preview again",
                field="expected_recipients",
            )
        if not recipient_ids:
            raise DomainError.single("NO_RECIPIENTS", "no active recipient is in this segment", field="segment_rule")
        action_id_hint = f"promotion:{rule}"[:100]
        sent = await announcements.create_announcement(
            actor, programme_id, recipient_ids, subject, text, variables=variables, source=action_id_hint
        )
        action = await records.record(
            actor,
            PROMOTION,
            summary=f"Promotional push to {len(recipient_ids):,} recipient(s) in {rule}",
            request={
                "programme_id": str(programme_id),
                "segment_rule": rule,
                "subject": subject,
                "text": text,
                "offer_id": str(offer_id) if offer_id else None,
            },
            after={"recipients": len(recipient_ids), "announcement_id": str(sent.id)},
            partner_id=partner_id,
            review_id=review,
            announcement_id=sent.id,
        )
    await announcements.ring([sent.id])  # after commit; the worker's cron is the safety net
    return action


async def promotion_progress(actor: Actor, action: ActionView) -> AnnouncementView | None:
    """The push's progress (sent, failed, pending), read from its announcement."""
    actor.require(Permission.REPORTS_READ)
    if action.announcement_id is None:
        return None
    return await announcements.get_announcement(SYSTEM, action.announcement_id)
