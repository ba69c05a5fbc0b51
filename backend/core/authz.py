"""Who is acting, and the one permission check every service uses.

The catalogue of permissions lives here so that every domain can name them without importing
``access``; which role or API key holds which permission is decided in ``backend.access``.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

from backend.core.errors import PermissionDenied


class Permission(str, enum.Enum):
    # API-key scopes are permissions too: their string is what an integrator asks for.
    REWARDS_WRITE = "rewards:write"
    REWARDS_READ = "rewards:read"
    POINTS_WRITE = "points:write"
    POINTS_READ = "points:read"
    RECIPIENTS_WRITE = "recipients:write"
    RECIPIENTS_READ = "recipients:read"
    PROGRAMMES_WRITE = "programmes:write"
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    PARTNERS_WRITE = "partners:write"
    CAMPAIGNS_WRITE = "campaigns:write"
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    REPORTS_READ = "reports:read"
    LEDGER_ADJUST = "ledger:adjust"
    USERS_MANAGE = "users:manage"
    API_KEYS_MANAGE = "api_keys:manage"
    WEBHOOKS_MANAGE = "webhooks:manage"
    OUTBOX_MANAGE = "outbox:manage"  # list and replay the outbox's failed events
    DELIVERIES_READ = "deliveries:read"
    DELIVERIES_WRITE = "deliveries:write"  # providers, templates, backfills and resends
    AUDIT_READ = "audit:read"
    REPORTS_WRITE = "reports:write"  # performance thresholds, partner reviews and their decisions
    TICKETS_MANAGE = "tickets:manage"  # a programme's desk: calendar, SLA targets, retention, thresholds


class ActorKind(str, enum.Enum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: uuid.UUID | None
    label: str
    permissions: frozenset[Permission] = field(default_factory=frozenset)

    def can(self, permission: Permission) -> bool:
        return self.kind is ActorKind.SYSTEM or permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(permission.value, self.label)


SYSTEM = Actor(kind=ActorKind.SYSTEM, id=None, label="system")
