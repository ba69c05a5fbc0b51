"""The console's map: every page people can open, the domain it belongs to and the permission it needs.

The left navigation and the page guard both read this list, so a page is never shown in the
navigation to someone who would be refused on opening it.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.core.authz import Actor, Permission


@dataclass(frozen=True)
class Destination:
    section: str
    label: str
    path: str
    icon: str
    needs: Permission | None = None

    def open_to(self, actor: Actor) -> bool:
        return self.needs is None or actor.can(self.needs)


HOME = Destination("Overview", "Home", "/", "space_dashboard")
RECIPIENTS = Destination("Recipients", "Recipients", "/recipients", "people", Permission.RECIPIENTS_READ)
PROGRAMMES = Destination("Recipients", "Programmes", "/programmes", "loyalty", Permission.RECIPIENTS_READ)
PARTNERS = Destination("Catalogue", "Partners", "/partners", "storefront", Permission.CATALOG_READ)
OFFERS = Destination("Catalogue", "Offers", "/offers", "redeem", Permission.CATALOG_READ)
RANKING = Destination("Catalogue", "Ranking", "/ranking", "swap_vert", Permission.CATALOG_WRITE)
CAMPAIGNS = Destination("Rewards", "Campaigns", "/campaigns", "campaign", Permission.REWARDS_READ)
UPLOADS = Destination("Rewards", "Uploads", "/uploads", "upload_file", Permission.REWARDS_READ)
ISSUANCE_APPROVALS = Destination("Rewards", "Issuance approvals", "/issuance-approvals", "task_alt", Permission.CAMPAIGNS_WRITE)
DELIVERIES = Destination("Deliveries", "Deliveries", "/deliveries", "local_shipping", Permission.DELIVERIES_READ)
DELIVERY_RATES = Destination("Deliveries", "Success rates", "/delivery-rates", "insights", Permission.DELIVERIES_READ)
DELIVERY_SETTINGS = Destination("Deliveries", "Delivery settings", "/delivery-settings", "tune", Permission.DELIVERIES_READ)
SANDBOX_INBOX = Destination("Deliveries", "Sandbox inbox", "/sandbox-inbox", "inbox", Permission.DELIVERIES_READ)
TICKETS = Destination("Support", "Tickets", "/tickets", "support_agent", Permission.TICKETS_READ)
LOG_TICKET = Destination("Support", "Log a ticket", "/tickets/new", "add_call", Permission.TICKETS_WRITE)
POINTS = Destination("Ledger", "Points", "/points", "savings", Permission.POINTS_READ)
APPROVALS = Destination("Ledger", "Approvals", "/approvals", "fact_check", Permission.LEDGER_ADJUST)
USERS = Destination("Access", "Users", "/users", "manage_accounts", Permission.USERS_MANAGE)
API_KEYS = Destination("Access", "API keys", "/api-keys", "key", Permission.API_KEYS_MANAGE)
WEBHOOKS = Destination("Integrations", "Webhooks", "/webhooks", "webhook", Permission.WEBHOOKS_MANAGE)
OUTBOX = Destination("Integrations", "Outbox", "/outbox", "outbox", Permission.OUTBOX_MANAGE)
AUDIT = Destination("Governance", "Audit log", "/audit", "history", Permission.AUDIT_READ)
RECIPIENT_IMPORTS = Destination("Recipients", "Import recipients", "/recipient-imports", "group_add", Permission.RECIPIENTS_WRITE)
SLA_REPORT = Destination("Support", "SLA report", "/sla-report", "monitoring", Permission.REPORTS_READ)
PARTNER_PERFORMANCE = Destination(
    "Insights", "Partner performance", "/partner-performance", "query_stats", Permission.REPORTS_READ
)
DESK_SETTINGS = Destination("Support", "Desk settings", "/desk-settings", "tune", Permission.TICKETS_READ)

NAVIGATION: tuple[Destination, ...] = (
    HOME,
    RECIPIENTS,
    PROGRAMMES,
    PARTNERS,
    OFFERS,
    RANKING,
    CAMPAIGNS,
    UPLOADS,
    ISSUANCE_APPROVALS,
    DELIVERIES,
    DELIVERY_RATES,
    DELIVERY_SETTINGS,
    SANDBOX_INBOX,
    TICKETS,
    LOG_TICKET,
    POINTS,
    APPROVALS,
    USERS,
    API_KEYS,
    WEBHOOKS,
    OUTBOX,
    AUDIT,
    RECIPIENT_IMPORTS,
    SLA_REPORT,
    PARTNER_PERFORMANCE,
    DESK_SETTINGS,
)


def sections_for(actor: Actor) -> list[tuple[str, list[Destination]]]:
    """The navigation this actor may use, grouped by domain, in the map's order; empty sections vanish."""
    grouped: dict[str, list[Destination]] = {}
    for destination in NAVIGATION:
        if destination.open_to(actor):
            grouped.setdefault(destination.section, []).append(destination)
    return list(grouped.items())
