"""A programme's desk settings (business calendar, reopen window, retention, breach action) and SLA
policies per priority: read by the clocks, written by admins."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

import holidays as holiday_tables

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.core.views import json_value
from backend.tickets.business_time import BusinessCalendar, public_holidays
from backend.tickets.policy import DEFAULT_TARGETS, SlaTargets
from backend.tickets.views import PRIORITIES


@dataclass(frozen=True)
class DeskSettings:
    timezone: str = "UTC"
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    opens_minute: int = 540
    closes_minute: int = 1020
    holiday_country: str | None = None
    custom_holidays: tuple[date, ...] = ()
    reopen_window_hours: int = 168
    retention_days: int | None = None
    breach_queue: str | None = None
    breach_assignee_id: uuid.UUID | None = None
    high_value_minor: int | None = None
    approval_above_points: int | None = None
    approval_above_minor: int | None = None  # a replacement code for a reward worth more needs a second person

    @property
    def reopen_window(self) -> timedelta:
        return timedelta(hours=self.reopen_window_hours)

    def calendar(self, around: datetime) -> BusinessCalendar:
        """The calendar with holidays of the years a target starting ``around`` may span."""
        return _calendar(self, around.year)


@lru_cache(maxsize=256)
def _calendar(settings: DeskSettings, year: int) -> BusinessCalendar:
    """Built once per settings and year: the holidays package computes a country's year each time."""
    return BusinessCalendar(
        timezone=settings.timezone,
        working_days=frozenset(settings.working_days),
        opens_minute=settings.opens_minute,
        closes_minute=settings.closes_minute,
        holidays=public_holidays(settings.holiday_country, range(year - 1, year + 3), settings.custom_holidays),
    )


_FIELDS = tuple(f.name for f in fields(DeskSettings))


def _settings(row) -> DeskSettings:
    if row is None:
        return DeskSettings()
    return DeskSettings(
        timezone=row["timezone"],
        working_days=tuple(json_value(row["working_days"])),
        opens_minute=row["opens_minute"],
        closes_minute=row["closes_minute"],
        holiday_country=row["holiday_country"],
        custom_holidays=tuple(date.fromisoformat(day) for day in json_value(row["custom_holidays"])),
        reopen_window_hours=row["reopen_window_hours"],
        retention_days=row["retention_days"],
        breach_queue=row["breach_queue"],
        breach_assignee_id=row["breach_assignee_id"],
        high_value_minor=row["high_value_minor"],
        approval_above_points=row["approval_above_points"],
        approval_above_minor=row["approval_above_minor"],
    )


async def desk_settings(programme_id: uuid.UUID) -> DeskSettings:
    return _settings(await sql.fetchrow("SELECT * FROM ticket_desk_settings WHERE programme_id = $1", programme_id))


async def desk_settings_of(programme_ids: set[uuid.UUID]) -> dict[uuid.UUID, DeskSettings]:
    """Many programmes' settings in one query (the sweep)."""
    ids = sorted(programme_ids)
    if not ids:
        return {}
    wanted = sql.Conditions().in_list("programme_id", ids)
    rows = await sql.fetch(wanted.statement("SELECT * FROM ticket_desk_settings"), *wanted.args)
    found = {row["programme_id"]: _settings(row) for row in rows}
    return {programme_id: found.get(programme_id, DeskSettings()) for programme_id in ids}


def check_settings(settings: DeskSettings) -> None:
    """Every refusal at once, each on the field it concerns, so a form can show them all."""
    errors = [FieldError(field, code, message) for field, code, message in _refusals(settings)]
    if errors:
        raise DomainError(errors)
    try:
        settings.calendar(utcnow())
    except Exception as error:  # zoneinfo's and the holidays package's refusals, in words
        raise DomainError.single("INVALID_CALENDAR", f"the business calendar is not valid: {error}", field="calendar") from None


def _refusals(settings: DeskSettings):
    if not settings.timezone:
        yield "timezone", "INVALID_TIMEZONE", "pick a time zone"
    elif settings.timezone not in available_timezones():
        yield (
            "timezone",
            "INVALID_TIMEZONE",
            f"“{settings.timezone}” is not a known time zone (an IANA name such as Europe/Paris)",
        )
    if not settings.working_days or not set(settings.working_days) <= set(range(7)):
        yield "working_days", "INVALID_WORKING_DAYS", "pick at least one working day, Monday (0) to Sunday (6)"
    if not 0 <= settings.opens_minute < 24 * 60:
        yield "opens_minute", "INVALID_HOURS", "the desk opens at a time of day, 00:00 to 23:59"
    if not settings.opens_minute < settings.closes_minute <= 24 * 60:
        yield "closes_minute", "INVALID_HOURS", "the desk closes after it opens, at 24:00 at the latest"
    if settings.holiday_country is not None and settings.holiday_country not in holiday_countries():
        yield "holiday_country", "INVALID_COUNTRY", f"the holidays of “{settings.holiday_country}” are not known"
    if settings.reopen_window_hours < 0:
        yield "reopen_window_hours", "INVALID_WINDOW", "the reopen window is 0 hours or more"
    if settings.retention_days is not None and settings.retention_days < 1:
        yield "retention_days", "INVALID_RETENTION", "retention is at least 1 day (or none)"
    for name in ("approval_above_minor", "approval_above_points", "high_value_minor"):
        if getattr(settings, name) is not None and getattr(settings, name) < 0:
            yield name, "INVALID_THRESHOLD", "a threshold is zero or more (or none)"


@lru_cache(maxsize=1)
def holiday_countries() -> frozenset[str]:
    """The ISO 3166 alpha-2 codes the holidays package has tables for."""
    return frozenset(code for code in holiday_tables.list_supported_countries() if len(code) == 2)


async def set_desk_settings(actor: Actor, programme_id: uuid.UUID, settings: DeskSettings) -> DeskSettings:
    actor.require(Permission.TICKETS_MANAGE)
    check_settings(settings)
    values = [getattr(settings, name) for name in _FIELDS]
    values[_FIELDS.index("working_days")] = json.dumps(list(settings.working_days))
    values[_FIELDS.index("custom_holidays")] = json.dumps([day.isoformat() for day in settings.custom_holidays])
    columns = ", ".join(_FIELDS)
    marks = ", ".join(f"${index}" for index in range(4, 4 + len(_FIELDS)))
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in _FIELDS)
    async with write_transaction():
        before = await desk_settings(programme_id)
        await sql.fetch(
            f"""INSERT INTO ticket_desk_settings (id, programme_id, updated_at, {columns}, updated_by_label)
            VALUES ($1, $2, $3, {marks}, ${4 + len(_FIELDS)})
            ON CONFLICT (programme_id) DO UPDATE SET {updates}, updated_at = EXCLUDED.updated_at,
            updated_by_label = EXCLUDED.updated_by_label""",
            new_id(),
            programme_id,
            utcnow(),
            *values,
            actor.label,
        )
        await audit.record(actor, "ticket_desk.settings_changed", "programme", programme_id, _plain(before), _plain(settings))
    return settings


def _plain(settings: DeskSettings) -> dict:
    return {name: getattr(settings, name) for name in _FIELDS}


async def sla_targets(programme_id: uuid.UUID, priority: str) -> SlaTargets:
    row = await sql.fetchrow(
        "SELECT first_response_s, next_response_s, resolution_s FROM sla_policies WHERE programme_id = $1 AND priority = $2",
        programme_id,
        priority,
    )
    return DEFAULT_TARGETS[priority] if row is None else SlaTargets(**row)


async def set_sla_policy(actor: Actor, programme_id: uuid.UUID, priority: str, targets: SlaTargets) -> SlaTargets:
    actor.require(Permission.TICKETS_MANAGE)
    if priority not in PRIORITIES:
        raise DomainError.single("INVALID_PRIORITY", f"a priority is one of {', '.join(PRIORITIES)}", field="priority")
    for name in ("first_response_s", "next_response_s", "resolution_s"):
        if getattr(targets, name) <= 0:
            raise DomainError.single("INVALID_TARGET", "an SLA target is a positive number of seconds", field=name)
    async with write_transaction():
        await sql.fetch(
            """INSERT INTO sla_policies (id, programme_id, priority, first_response_s, next_response_s, resolution_s, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (programme_id, priority) DO UPDATE SET
            first_response_s = EXCLUDED.first_response_s, next_response_s = EXCLUDED.next_response_s,
            resolution_s = EXCLUDED.resolution_s, updated_at = EXCLUDED.updated_at""",
            new_id(),
            programme_id,
            priority,
            targets.first_response_s,
            targets.next_response_s,
            targets.resolution_s,
            utcnow(),
        )
        await audit.record(
            actor, "ticket_desk.sla_policy_set", "programme", programme_id, after={"priority": priority, **targets.__dict__}
        )
    return targets
