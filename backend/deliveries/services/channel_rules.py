"""The programme's channel rules, as the sender applies them (settings in ``programme_settings``):

- **Quiet hours**: an SMS or WhatsApp message due inside the quiet window of the recipient's local
  time waits for its end. The recipient's time zone is ``time_zone`` in their HR attributes, else
  the programme's. Email never waits.
- **Channel fallback**: when a delivery's channel is exhausted (primary and failover providers) or
  refused for good, the next channel in the programme's order that has not been tried yet and for
  which the recipient has a usable contact gets the delivery, from its primary provider again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from backend.core import sql
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.errors import NotFound
from backend.deliveries.services.creation import contact_for
from backend.deliveries.services.programme_settings import (
    QUIET_CHANNELS,
    DeliverySettingsView,
    settings_for,
    time_zone_or_none,
)
from backend.recipients import services as recipients

TIME_ZONE_ATTRIBUTES = ("time_zone", "timezone", "tz")  # HR systems name it differently


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, start: str, end: str, zone: tzinfo) -> datetime | None:
    """When the quiet window (local ``start`` to ``end``, which may cross midnight) ends, in UTC,
    if ``now`` is inside it; None when ``now`` is daytime."""
    local = now.astimezone(zone)
    begins, ends, at = _clock(start), _clock(end), local.time().replace(tzinfo=None)
    if begins < ends:
        inside, end_day = begins <= at < ends, local.date()
    else:  # e.g. 21:00–08:00: inside after the start, or before the end
        inside = at >= begins or at < ends
        end_day = local.date() + timedelta(days=1) if at >= begins else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, ends, tzinfo=zone).astimezone(UTC)


def recipient_time_zone(hr_attributes: dict) -> tzinfo | None:
    for name in TIME_ZONE_ATTRIBUTES:
        if zone := time_zone_or_none(str(hr_attributes.get(name) or "")):
            return zone
    return None


async def _recipient(delivery_id: uuid.UUID):
    row = await sql.fetchrow("SELECT recipient_id FROM deliveries WHERE id = $1", delivery_id)
    try:
        return await recipients.get_recipient(SYSTEM, recipient_id=row["recipient_id"]) if row else None
    except NotFound:
        return None


async def quiet_wait(
    delivery_id: uuid.UUID, programme_id: uuid.UUID, channel: str, settings: DeliverySettingsView | None = None
) -> float | None:
    """Seconds this send must wait for the recipient's daytime; None when it may go now. ``settings``:
    the programme's, when the caller has read them already."""
    if channel not in QUIET_CHANNELS:
        return None
    settings = settings or await settings_for(programme_id)
    if not settings.quiet_hours:
        return None
    recipient = await _recipient(delivery_id)
    zone = (recipient and recipient_time_zone(recipient.hr_attributes)) or time_zone_or_none(settings.time_zone) or UTC
    now = utcnow()
    until = quiet_until(now, settings.quiet_start, settings.quiet_end, zone)
    return (until - now).total_seconds() if until else None


@dataclass(frozen=True)
class NextChannel:
    channel: str
    contact: str


async def next_channel(
    delivery_id: uuid.UUID, programme_id: uuid.UUID, channel: str, settings: DeliverySettingsView | None = None
) -> NextChannel | None:
    """The channel a delivery falls back to, or None (fallback off, or nothing left to try)."""
    settings = settings or await settings_for(programme_id)
    if not settings.fallback:
        return None
    tried = {
        row["channel"]
        for row in await sql.fetch("SELECT DISTINCT channel FROM delivery_attempts WHERE delivery = $1", delivery_id)
    }
    tried.add(channel)
    recipient = await _recipient(delivery_id)
    if recipient is None:
        return None
    for candidate in settings.fallback_order:
        if candidate in tried:
            continue
        contact, _ = contact_for(recipient, candidate)
        if contact:
            return NextChannel(candidate, contact)
    return None
