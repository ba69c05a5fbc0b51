"""A programme's delivery rules, read and set here (audited): quiet hours for SMS and WhatsApp, and
channel fallback. A programme that never set them gets the defaults: no quiet hours, no fallback.

``quiet_start``/``quiet_end`` are local times (HH:MM) in the recipient's time zone, else the
programme's ``time_zone``; the window may cross midnight (21:00–08:00). ``fallback_order`` is the
order in which a delivery whose channel is exhausted (primary and failover providers) or refused
for good tries the recipient's other channels that have a usable contact."""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.core import audit, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import maybe_utc, utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.recipients import services as recipients
from backend.recipients.services.validation import CHANNELS

_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
QUIET_CHANNELS = ("sms", "whatsapp")  # email waits for nobody: it is read when the reader chooses


@dataclass(frozen=True)
class DeliverySettingsView:
    programme_id: uuid.UUID
    quiet_hours: bool = False
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    time_zone: str = "UTC"
    fallback: bool = False
    fallback_order: tuple[str, ...] = CHANNELS
    updated_at: datetime | None = None  # None: never set, these are the defaults
    updated_by_label: str = ""


@dataclass(frozen=True)
class DeliverySettingsInput:
    programme_id: uuid.UUID
    quiet_hours: bool = False
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    time_zone: str = "UTC"
    fallback: bool = False
    fallback_order: tuple[str, ...] | list[str] = CHANNELS


def time_zone_or_none(name: str | None) -> ZoneInfo | None:
    """The IANA time zone of that name, or None for an empty or unknown one."""
    name = (name or "").strip()
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _clean(data: DeliverySettingsInput) -> DeliverySettingsInput:
    errors: list[FieldError] = []
    for name in ("quiet_start", "quiet_end"):
        if not _CLOCK_TIME.match(str(getattr(data, name) or "")):
            errors.append(FieldError(name, "INVALID_TIME", f"{name} is a local time as HH:MM, from 00:00 to 23:59"))
    if data.quiet_start == data.quiet_end and _CLOCK_TIME.match(str(data.quiet_start or "")):
        errors.append(FieldError("quiet_end", "EMPTY_WINDOW", "quiet hours end at another time than they start"))
    time_zone = str(data.time_zone or "").strip()
    if time_zone_or_none(time_zone) is None:
        errors.append(
            FieldError("time_zone", "INVALID_TIME_ZONE", "time_zone is an IANA time zone, e.g. Europe/London, Asia/Kolkata")
        )
    order = [str(channel).strip().lower() for channel in (data.fallback_order or ())]
    unknown = [channel for channel in order if channel not in CHANNELS]
    if unknown:
        errors.append(
            FieldError(
                "fallback_order",
                "INVALID_CHANNEL",
                f"unknown channel(s) {', '.join(unknown)}; each is one of {', '.join(CHANNELS)}",
            )
        )
    elif len(set(order)) != len(order):
        errors.append(FieldError("fallback_order", "DUPLICATE_CHANNEL", "each channel appears once in fallback_order"))
    elif data.fallback and len(order) < 2:
        errors.append(FieldError("fallback_order", "TOO_FEW_CHANNELS", "fallback needs at least two channels to move between"))
    if errors:
        raise DomainError(errors)
    return DeliverySettingsInput(
        programme_id=data.programme_id,
        quiet_hours=bool(data.quiet_hours),
        quiet_start=data.quiet_start,
        quiet_end=data.quiet_end,
        time_zone=time_zone,
        fallback=bool(data.fallback),
        fallback_order=tuple(order),
    )


def _view(row, programme_id: uuid.UUID) -> DeliverySettingsView:
    if row is None:
        return DeliverySettingsView(programme_id=programme_id)
    return DeliverySettingsView(
        programme_id=row["programme_id"],
        quiet_hours=bool(row["quiet_hours"]),
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        time_zone=row["time_zone"],
        fallback=bool(row["fallback"]),
        fallback_order=tuple(channel for channel in row["fallback_order"].split(",") if channel),
        updated_at=maybe_utc(row["updated_at"]),
        updated_by_label=row["updated_by_label"],
    )


def _audited(view: DeliverySettingsView) -> dict:
    values = asdict(view)
    for name in ("programme_id", "updated_at", "updated_by_label"):
        values.pop(name)
    values["fallback_order"] = list(view.fallback_order)
    return values


async def settings_for(programme_id: uuid.UUID) -> DeliverySettingsView:
    """For the sender: the programme's settings, or the defaults (no permission check)."""
    row = await sql.fetchrow("SELECT * FROM delivery_settings WHERE programme_id = $1", programme_id)
    return _view(row, programme_id)


async def get_delivery_settings(actor: Actor, programme_id: uuid.UUID) -> DeliverySettingsView:
    actor.require(Permission.DELIVERIES_READ)
    return await settings_for(programme_id)


async def set_delivery_settings(actor: Actor, data: DeliverySettingsInput) -> DeliverySettingsView:
    """Replace a programme's delivery settings. Requires deliveries:write; audited
    (``delivery_settings.set``, before and after); bad input changes nothing."""
    actor.require(Permission.DELIVERIES_WRITE)
    clean = _clean(data)
    await recipients.get_programme(SYSTEM, clean.programme_id)  # NotFound for an unknown programme
    now = utcnow()
    values = (
        clean.quiet_hours,
        clean.quiet_start,
        clean.quiet_end,
        clean.time_zone,
        clean.fallback,
        ",".join(clean.fallback_order),
        now,
        actor.label[:255],
    )
    async with write_transaction():
        before_row = await sql.fetchrow("SELECT * FROM delivery_settings WHERE programme_id = $1", clean.programme_id)
        if before_row is None:
            await sql.fetch(
                """INSERT INTO delivery_settings (id, programme_id, quiet_hours, quiet_start, quiet_end, time_zone, fallback,
                fallback_order, updated_at, updated_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9)""",
                new_id(),
                clean.programme_id,
                *values,
            )
        else:
            await sql.fetch(
                """UPDATE delivery_settings SET quiet_hours = $2, quiet_start = $3, quiet_end = $4, time_zone = $5,
                fallback = $6, fallback_order = $7, updated_at = $8, updated_by_label = $9 WHERE programme_id = $1""",
                clean.programme_id,
                *values,
            )
        after_row = await sql.fetchrow("SELECT * FROM delivery_settings WHERE programme_id = $1", clean.programme_id)
        after = _view(after_row, clean.programme_id)
        await audit.record(
            actor,
            "delivery_settings.set",
            "programme",
            clean.programme_id,
            before=_audited(_view(before_row, clean.programme_id)) if before_row else None,
            after=_audited(after),
        )
    return after
