"""Correcting one contact point of a recipient (an email that bounced, a phone number with a typo).

The deliveries domain fixes a contact as part of resending a reward (its console page, its CSV of
corrections, ``resendReward``), so either ``recipients:write`` or ``deliveries:write`` may do it;
the change goes through here, validated like any recipient record and audited as
``recipient.contact_corrected``. It joins the caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.core import audit, contact_points, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, NotFound, PermissionDenied

CONTACT_FIELDS = ("email", "phone", "whatsapp")
_CHANNEL_FIELD = {"email": "email", "sms": "phone", "whatsapp": "whatsapp"}


def contact_field_of(channel: str) -> str:
    """The recipient field a channel's contact is kept in (WhatsApp's own number, when corrected)."""
    return _CHANNEL_FIELD[channel]


def normalised_contact(field: str, value: str | None, country: str | None) -> str:
    """``value`` normalised as the recipient's ``field`` (email, phone, whatsapp), with the same
    rules as every recipient record; raises INVALID_EMAIL / INVALID_PHONE / REQUIRED naming ``field``."""
    if field not in CONTACT_FIELDS:
        raise DomainError.single("INVALID_FIELD", f"a contact is one of {', '.join(CONTACT_FIELDS)}", field="field")
    if not (value and value.strip()):
        raise DomainError.single("REQUIRED", f"the corrected {field} is empty", field=field)
    if field == "email":
        return contact_points.email_address(value, field)
    return contact_points.phone_number(value, country, field)


@dataclass(frozen=True)
class ContactCorrected:
    recipient_id: uuid.UUID
    field: str
    before: str | None
    after: str
    changed: bool


def _require(actor: Actor) -> None:
    if not (actor.can(Permission.RECIPIENTS_WRITE) or actor.can(Permission.DELIVERIES_WRITE)):
        raise PermissionDenied(Permission.RECIPIENTS_WRITE.value, actor.label)


async def correct_contact(actor: Actor, recipient_id: uuid.UUID, field: str, value: str) -> ContactCorrected:
    """Set the recipient's ``field`` (email, phone or whatsapp) to ``value``, validated and
    normalised (a number without '+' is read in the recipient's country); audited when it changes."""
    _require(actor)
    async with write_transaction():
        row = await sql.fetchrow("SELECT id, country, email, phone, whatsapp FROM recipients WHERE id = $1", recipient_id)
        if row is None:
            raise NotFound("recipient", recipient_id, field="recipient_id")
        after = normalised_contact(field, value, row["country"])
        before = row[field]
        if before == after:
            return ContactCorrected(recipient_id, field, before, after, changed=False)
        # The column name comes from CONTACT_FIELDS (checked above), never from the caller's text.
        await sql.fetch(f"UPDATE recipients SET {field} = $2, updated_at = $3 WHERE id = $1", recipient_id, after, utcnow())
        await audit.record(
            actor, "recipient.contact_corrected", "recipient", recipient_id, before={field: before}, after={field: after}
        )
    return ContactCorrected(recipient_id, field, before, after, changed=True)
