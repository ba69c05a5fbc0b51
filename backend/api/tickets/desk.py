"""A programme's complaint desk through GraphQL: ``deskSettings`` (tickets:read) and the admins'
``setDeskSettings`` and ``setSlaPolicy`` (tickets:manage: admins and programme managers, and a key
scoped to it; never tickets:write alone). Every refusal on its input field; nothing changed then."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import strawberry
from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case

from backend.api.catalog.types.shared import MinorUnits
from backend.api.errors import errors_field, query_refusals
from backend.api.graphql_values import optional_id
from backend.api.partners.ids import entity_id
from backend.api.partners.mutations import answer
from backend.api.permissions import requires
from backend.api.tickets.types import TicketError, TicketPriority, ticket_errors
from backend.core.authz import Permission
from backend.core.errors import DomainError, FieldError
from backend.core.money import format_money
from backend.core.text import text_error
from backend.tickets.policy import SlaTargets
from backend.tickets.services import desk_admin
from backend.tickets.services.desk import DeskSettings as Settings
from backend.tickets.services.desk_admin import TARGET_NAMES, Desk
from backend.tickets.views import PRIORITIES


@strawberry.type(description="One priority's SLA targets, in business minutes of the programme's calendar.")
class SlaPolicy:
    priority: TicketPriority
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int

    @classmethod
    def of(cls, priority: str, targets: SlaTargets) -> SlaPolicy:
        first, next_, resolution = (getattr(targets, name) // 60 for name in TARGET_NAMES)
        return cls(
            priority=TicketPriority(priority),
            first_response_minutes=first,
            next_response_minutes=next_,
            resolution_minutes=resolution,
        )


@strawberry.type(description="A programme's desk: the business calendar, its rules and the SLA targets per priority.")
class DeskSettings:
    programme_id: strawberry.ID
    currency: str = strawberry.field(description="The programme's; the money thresholds are in it.")
    timezone: str = strawberry.field(description="IANA time zone the working hours are in.")
    working_days: list[int] = strawberry.field(description="0 is Monday, 6 Sunday.")
    opens_minute: int = strawberry.field(description="Minutes after local midnight (540 is 09:00).")
    closes_minute: int = strawberry.field(description="Minutes after local midnight; 1440 is midnight.")
    holiday_country: str | None = strawberry.field(description="ISO 3166 alpha-2; its public holidays are days off.")
    custom_holidays: list[date]
    reopen_window_hours: int = strawberry.field(description="A recipient's reply reopens a resolved ticket within it.")
    retention_days: int | None = strawberry.field(description="Closed tickets' personal content is purged after it.")
    breach_queue: str | None
    breach_assignee_id: strawberry.ID | None
    high_value: MinorUnits | None = strawberry.field(description="A reward worth this or more raises the priority.")
    approval_above: MinorUnits | None = strawberry.field(description="A reissue worth more needs a second person.")
    approval_above_formatted: str | None = strawberry.field(description="`approvalAbove` in the currency: ₹1,000.50.")
    approval_above_points: int | None = strawberry.field(description="A points refund above it needs a second person.")
    sla_policies: list[SlaPolicy]

    @classmethod
    def of(cls, desk: Desk) -> DeskSettings:
        s = desk.settings
        return cls(
            programme_id=strawberry.ID(str(desk.programme_id)),
            currency=desk.currency,
            timezone=s.timezone,
            working_days=list(s.working_days),
            opens_minute=s.opens_minute,
            closes_minute=s.closes_minute,
            holiday_country=s.holiday_country,
            custom_holidays=list(s.custom_holidays),
            reopen_window_hours=s.reopen_window_hours,
            retention_days=s.retention_days,
            breach_queue=s.breach_queue,
            breach_assignee_id=optional_id(s.breach_assignee_id),
            high_value=s.high_value_minor,
            approval_above=s.approval_above_minor,
            approval_above_formatted=None
            if s.approval_above_minor is None
            else format_money(s.approval_above_minor, desk.currency),
            approval_above_points=s.approval_above_points,
            sla_policies=[SlaPolicy.of(priority, desk.targets[priority]) for priority in PRIORITIES],
        )


@strawberry.input(description="What to change; a field left out keeps its value, null clears an optional one.")
class DeskSettingsInput:
    programme_id: strawberry.ID
    timezone: str | None = UNSET
    working_days: list[int] | None = UNSET
    opens_minute: int | None = UNSET
    closes_minute: int | None = UNSET
    holiday_country: str | None = UNSET
    custom_holidays: list[date] | None = UNSET
    reopen_window_hours: int | None = UNSET
    retention_days: int | None = UNSET
    breach_queue: str | None = UNSET
    breach_assignee_id: strawberry.ID | None = UNSET
    high_value: MinorUnits | None = UNSET
    approval_above: MinorUnits | None = UNSET
    approval_above_points: int | None = UNSET

    def applied_to(self, current: Settings) -> Settings:
        # input name → the settings field it sets, and how (None is "cleared" only where clearing means something)
        given = {name: value for name, value in vars(self).items() if value is not UNSET and name != "programme_id"}
        renamed = {"high_value": "high_value_minor", "approval_above": "approval_above_minor"}
        changes = {renamed.get(name, name): value for name, value in given.items()}
        for name in ("timezone", "working_days", "opens_minute", "closes_minute", "reopen_window_hours", "custom_holidays"):
            if name in changes and changes[name] is None:
                del changes[name]  # these have no "none": null keeps them
        for name in ("working_days", "custom_holidays"):
            if name in changes:
                changes[name] = tuple(changes[name])
        if changes.get("breach_assignee_id") is not None:
            changes["breach_assignee_id"] = entity_id(changes["breach_assignee_id"], "person", "breach_assignee_id")
        return replace(current, **changes)


_INPUT_NAMES = {"high_value_minor": "high_value", "approval_above_minor": "approval_above"}


TEXT_FIELDS = ("timezone", "holiday_country", "breach_queue")


@strawberry.type(description="The desk after the change, and what changed; null desk when refused.")
class DeskSettingsPayload:
    desk: DeskSettings | None
    changed: list[str] = strawberry.field(description="The settings (and `slaPolicy.PRIORITY`) that changed.")
    errors: list[TicketError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> DeskSettingsPayload:
        named = [FieldError(_INPUT_NAMES.get(e.field, e.field), e.code, e.message) for e in errors]
        return cls(desk=None, changed=[], errors=ticket_errors(named))


@strawberry.input(description="One priority's targets, in business minutes (each more than 0).")
class SlaPolicyInput:
    programme_id: strawberry.ID
    priority: TicketPriority
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int


def _sla_refused(errors: list[FieldError]) -> DeskSettingsPayload:
    """A target's refusal on the input field it came from (``resolutionMinutes``)."""
    named = []
    for error in errors:
        field = error.field or ""
        for name in TARGET_NAMES:
            if field.endswith(f".{name}"):
                field = name.removesuffix("_s") + "_minutes"
        named.append(FieldError(field or None, error.code, error.message))
    return DeskSettingsPayload.refused(named)


def _changed(changes: desk_admin.DeskChanges) -> list[str]:
    return [to_camel_case(_INPUT_NAMES.get(n, n)) for n in changes.settings] + [
        f"slaPolicy.{priority.upper()}" for priority in changes.priorities
    ]


@strawberry.type
class DeskQueries:
    @strawberry.field(extensions=requires(Permission.TICKETS_READ), description="A programme's desk settings and SLA targets.")
    async def desk_settings(self, info: strawberry.Info, programme_id: strawberry.ID) -> DeskSettings:
        with query_refusals():
            return DeskSettings.of(
                await desk_admin.read_desk(info.context.actor, entity_id(programme_id, "programme", "programme_id"))
            )


@strawberry.type
class DeskMutations:
    @strawberry.mutation(
        extensions=requires(Permission.TICKETS_MANAGE, refusal=DeskSettingsPayload.refused),
        description="Change a programme's desk settings (new tickets' SLA clocks follow). INVALID_TIMEZONE, INVALID_HOURS, "
        "INVALID_WORKING_DAYS, INVALID_COUNTRY, INVALID_WINDOW, INVALID_RETENTION, INVALID_THRESHOLD; all at once.",
    )
    async def set_desk_settings(self, info: strawberry.Info, input: DeskSettingsInput) -> DeskSettingsPayload:
        actor = info.context.actor

        async def save() -> DeskSettingsPayload:
            programme_id = entity_id(input.programme_id, "programme", "programme_id")
            # The texts are judged before the programme is looked up (a bad value changes nothing, said first).
            refusals = [error for error in (text_error(name, getattr(input, name)) for name in TEXT_FIELDS) if error]
            if refusals:
                raise DomainError(refusals)
            current = await desk_admin.read_desk(actor, programme_id)
            changes = await desk_admin.save_desk(actor, programme_id, input.applied_to(current.settings))
            return DeskSettingsPayload(
                desk=DeskSettings.of(await desk_admin.read_desk(actor, programme_id)), changed=_changed(changes), errors=[]
            )

        return await answer(DeskSettingsPayload.refused, save)

    @strawberry.mutation(
        extensions=requires(Permission.TICKETS_MANAGE, refusal=DeskSettingsPayload.refused),
        description="Set one priority's SLA targets for a programme (new tickets follow). INVALID_TARGET if one is 0 or less.",
    )
    async def set_sla_policy(self, info: strawberry.Info, input: SlaPolicyInput) -> DeskSettingsPayload:
        actor = info.context.actor

        async def save() -> DeskSettingsPayload:
            programme_id = entity_id(input.programme_id, "programme", "programme_id")
            minutes = (input.first_response_minutes, input.next_response_minutes, input.resolution_minutes)
            targets = {input.priority.value: SlaTargets(*(60 * value for value in minutes))}
            changes = await desk_admin.save_desk(actor, programme_id, None, targets)
            return DeskSettingsPayload(
                desk=DeskSettings.of(await desk_admin.read_desk(actor, programme_id)), changed=_changed(changes), errors=[]
            )

        async def refusing() -> DeskSettingsPayload:
            try:
                return await save()
            except DomainError as refusal:
                return _sla_refused(refusal.errors)

        return await refusing()
