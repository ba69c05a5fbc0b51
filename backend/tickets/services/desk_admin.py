"""Reading and changing a programme's whole desk at once (settings and the SLA targets of every
priority), for the console's Desk settings page and the API: read with tickets:read, change with
tickets:manage, every refusal reported on its field and nothing written unless all are valid."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields

from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError
from backend.recipients import services as recipients
from backend.tickets.policy import SlaTargets
from backend.tickets.services.desk import (
    DeskSettings,
    check_settings,
    desk_settings,
    set_desk_settings,
    set_sla_policy,
    sla_targets,
)
from backend.tickets.views import PRIORITIES

TARGET_NAMES = ("first_response_s", "next_response_s", "resolution_s")


@dataclass(frozen=True)
class Desk:
    programme_id: uuid.UUID
    currency: str  # the programme's: the approval threshold is money in it
    settings: DeskSettings
    targets: dict[str, SlaTargets]  # every priority, the shipped defaults where none was set


@dataclass(frozen=True)
class DeskChanges:
    settings: tuple[str, ...]  # DeskSettings field names that changed
    priorities: tuple[str, ...]  # priorities whose targets changed

    def __bool__(self) -> bool:
        return bool(self.settings or self.priorities)


async def read_desk(actor: Actor, programme_id: uuid.UUID) -> Desk:
    actor.require(Permission.TICKETS_READ)
    programme = await recipients.get_programme(SYSTEM, programme_id)  # its currency; tickets:read was checked
    return Desk(
        programme_id=programme.id,
        currency=programme.currency,
        settings=await desk_settings(programme_id),
        targets={priority: await sla_targets(programme_id, priority) for priority in PRIORITIES},
    )


def target_field(priority: str, name: str) -> str:
    """The field a target's refusal is reported on: ``high.resolution_s``."""
    return f"{priority}.{name}"


def _target_refusals(targets: dict[str, SlaTargets]) -> list[FieldError]:
    errors = []
    for priority, values in targets.items():
        if priority not in PRIORITIES:
            errors.append(FieldError("priority", "INVALID_PRIORITY", f"a priority is one of {', '.join(PRIORITIES)}"))
            continue
        for name in TARGET_NAMES:
            if getattr(values, name) <= 0:
                errors.append(FieldError(target_field(priority, name), "INVALID_TARGET", "an SLA target is a positive duration"))
    return errors


async def save_desk(
    actor: Actor, programme_id: uuid.UUID, settings: DeskSettings | None, targets: dict[str, SlaTargets] | None = None
) -> DeskChanges:
    """Write what differs from the stored desk; all or nothing. ``None`` leaves that part as it is."""
    actor.require(Permission.TICKETS_MANAGE)
    targets = targets or {}
    errors = _target_refusals(targets)
    if settings is not None:
        try:
            check_settings(settings)
        except DomainError as refusal:
            errors = refusal.errors + errors
    if errors:
        raise DomainError(errors)
    async with write_transaction():
        before = await read_desk(actor, programme_id)  # NOT_FOUND for an unknown programme, before any write
        changed = tuple(
            f.name
            for f in fields(DeskSettings)
            if settings is not None and getattr(settings, f.name) != getattr(before.settings, f.name)
        )
        if changed:
            await set_desk_settings(actor, programme_id, settings)
        priorities = tuple(p for p in PRIORITIES if p in targets and targets[p] != before.targets[p])
        for priority in priorities:
            await set_sla_policy(actor, programme_id, priority, targets[priority])
    return DeskChanges(changed, priorities)
