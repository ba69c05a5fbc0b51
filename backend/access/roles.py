"""Which role holds which permission, and which permissions an API key may be given as scopes."""

from __future__ import annotations

import enum

from backend.core.authz import Permission as P


class Role(str, enum.Enum):
    ADMIN = "admin"
    PROGRAMME_MANAGER = "programme_manager"
    FINANCE = "finance"
    PARTNER_MANAGER = "partner_manager"
    SUPPORT_AGENT = "support_agent"
    VIEWER = "viewer"


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.PROGRAMME_MANAGER: "Programme manager",
    Role.FINANCE: "Finance",
    Role.PARTNER_MANAGER: "Partner manager",
    Role.SUPPORT_AGENT: "Support agent",
    Role.VIEWER: "Viewer",
}

_READ = {P.RECIPIENTS_READ, P.CATALOG_READ, P.REWARDS_READ, P.POINTS_READ, P.REPORTS_READ, P.DELIVERIES_READ}
# A ticket holds a recipient's own words: read by those who work tickets and the programme's managers only.

ROLE_PERMISSIONS: dict[Role, frozenset[P]] = {
    Role.ADMIN: frozenset(P),
    Role.PROGRAMME_MANAGER: frozenset(
        _READ
        | {
            P.RECIPIENTS_WRITE,
            P.PROGRAMMES_WRITE,
            P.CAMPAIGNS_WRITE,
            P.REWARDS_WRITE,
            P.POINTS_WRITE,
            P.AUDIT_READ,
            P.DELIVERIES_WRITE,
            P.TICKETS_READ,
            P.REPORTS_WRITE,
            P.TICKETS_MANAGE,
        }
    ),
    Role.FINANCE: frozenset(_READ | {P.LEDGER_ADJUST, P.POINTS_WRITE, P.AUDIT_READ}),
    Role.PARTNER_MANAGER: frozenset(_READ | {P.PARTNERS_WRITE, P.CATALOG_WRITE}),
    # Support sees why a reward did not arrive; resending takes deliveries:write, which also sets
    # providers and templates today, so it stays with programme managers and admins.
    Role.SUPPORT_AGENT: frozenset(
        {P.RECIPIENTS_READ, P.REWARDS_READ, P.POINTS_READ, P.TICKETS_READ, P.TICKETS_WRITE, P.DELIVERIES_READ}
    ),
    Role.VIEWER: frozenset(_READ),
}

# What an integrator's key may be scoped to: no console administration through the API.
API_KEY_SCOPES: frozenset[P] = frozenset(
    {
        P.REWARDS_WRITE,
        P.REWARDS_READ,
        P.POINTS_WRITE,
        P.POINTS_READ,
        P.RECIPIENTS_WRITE,
        P.RECIPIENTS_READ,
        P.CATALOG_READ,
        P.CATALOG_WRITE,  # a partner-management system keeping offers and stock in step
        P.PARTNERS_WRITE,
        P.TICKETS_WRITE,
        P.TICKETS_READ,
        P.REPORTS_READ,
        P.DELIVERIES_READ,  # reconciling deliveries without the console
        P.DELIVERIES_WRITE,  # resendReward: the API exposes no provider or template settings
        P.REPORTS_WRITE,  # startPartnerReview / closePartnerReview
        P.TICKETS_MANAGE,  # an integrator's help desk keeping the desk's calendar and SLA targets in step
    }
)


def permissions_for(roles: list[str] | tuple[str, ...]) -> frozenset[P]:
    granted: set[P] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[Role(role)]
    return frozenset(granted)
