"""What needs attention, read through each domain's services: items waiting for this person (approvals
they may give, their own requests that were refused) and items waiting for anyone (low stock, failed
deliveries, tickets breaching their SLA). The home page lists them; the navigation shows their counts as badges."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from backend.catalog.services import stock
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.deliveries.services import listing as deliveries
from backend.deliveries.services.listing import DeliveryFilter
from backend.insights.actions.services import replacement
from backend.insights.reviews import flags as partner_flags
from backend.ledger.kinds import AdjustmentStatus
from backend.ledger.services import adjustments
from backend.partners.services import go_live
from backend.partners.views import PENDING, REJECTED
from backend.rewards.services import issuances
from backend.rewards.uploads.services import review as uploads
from backend.rewards.uploads.views import STAGED
from backend.rewards.views import PENDING_APPROVAL
from backend.tickets.services import reading as tickets
from ui import navigation

# Refused requests stay in their requester's inbox this long: long enough to be seen after a weekend.
REFUSED_SHOWN_FOR = timedelta(days=14)
# Failed deliveries are acted on in the deliveries console (its menu entry carries the badge).
DELIVERIES_PATH = "/deliveries"
# How often an open page asks again (seconds); tests shorten it.
REFRESH_SECONDS = 30.0
CAP = 500  # a queue longer than this reads "500+": the inbox points at work, the page lists it


@dataclass(frozen=True)
class InboxItem:
    key: str
    label: str  # "2 uploads await a second admin"
    count: int
    href: str  # where it is acted on
    menu_path: str  # the navigation entry whose badge counts it
    icon: str
    mine: bool  # waiting for this person (True) or for anyone (False)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,}{'+' if count >= CAP else ''} {one if count == 1 else many}"


async def _go_live_to_decide(actor: Actor) -> list[InboxItem]:
    if not actor.can(go_live.GO_LIVE_PERMISSION):
        return []
    waiting = [request for request in await go_live.go_live_requests_in(actor, PENDING, CAP) if request.requested_by != actor.id]
    if not waiting:
        return []
    href = f"{navigation.PARTNERS.path}/{waiting[0].partner_id}" if len(waiting) == 1 else navigation.PARTNERS.path
    label = _plural(len(waiting), "partner awaits", "partners await") + " your go-live decision"
    return [InboxItem("go-live", label, len(waiting), href, navigation.PARTNERS.path, "rocket_launch", True)]


async def _go_live_refused(actor: Actor) -> list[InboxItem]:
    since = utcnow() - REFUSED_SHOWN_FOR
    refused = [
        request
        for request in await go_live.go_live_requests_in(actor, REJECTED, CAP)
        if request.requested_by == actor.id and request.decided_at is not None and request.decided_at >= since
    ]
    if not refused:
        return []
    href = f"{navigation.PARTNERS.path}/{refused[0].partner_id}" if len(refused) == 1 else navigation.PARTNERS.path
    label = _plural(len(refused), "go-live request", "go-live requests") + " of yours refused"
    return [InboxItem("go-live-refused", label, len(refused), href, navigation.PARTNERS.path, "block", True)]


async def _uploads_to_approve(actor: Actor) -> list[InboxItem]:
    if not actor.can(Permission.REWARDS_WRITE):
        return []
    staged = [
        upload for upload in (await uploads.list_uploads(actor, status=STAGED, limit=CAP)).rows if upload.uploaded_by != actor.id
    ]
    if not staged:
        return []
    href = f"{navigation.UPLOADS.path}/{staged[0].id}" if len(staged) == 1 else navigation.UPLOADS.path
    label = _plural(len(staged), "upload awaits", "uploads await") + " a second admin"
    return [InboxItem("uploads", label, len(staged), href, navigation.UPLOADS.path, navigation.UPLOADS.icon, True)]


async def _issuances_to_approve(actor: Actor) -> list[InboxItem]:
    count = await issuances.count_issuances(actor, issuances.IssuanceFilter(status=PENDING_APPROVAL))
    if not count:
        return []
    label = _plural(count, "reward awaits", "rewards await") + " issuance approval"
    path = navigation.ISSUANCE_APPROVALS.path
    return [InboxItem("issuance-approvals", label, count, path, path, navigation.ISSUANCE_APPROVALS.icon, True)]


async def _adjustments(actor: Actor) -> list[InboxItem]:
    pending = (await adjustments.list_adjustments(actor, status=AdjustmentStatus.PENDING, limit=CAP)).adjustments
    to_decide = [adjustment for adjustment in pending if adjustment.requested_by_id != actor.id]
    since = utcnow() - REFUSED_SHOWN_FOR
    refused = [
        adjustment
        for adjustment in (await adjustments.list_adjustments(actor, status=AdjustmentStatus.REJECTED, limit=CAP)).adjustments
        if adjustment.requested_by_id == actor.id
        and adjustment.decided_at is not None
        and adjustment.decided_at >= since
        and adjustment.decided_by_label != adjustment.requested_by_label  # withdrawn by themselves: not refused
    ]
    path, found = navigation.APPROVALS.path, []
    if to_decide:
        label = _plural(len(to_decide), "points adjustment awaits", "points adjustments await") + " your approval"
        found.append(InboxItem("ledger-approvals", label, len(to_decide), path, path, navigation.APPROVALS.icon, True))
    if refused:
        label = _plural(len(refused), "points adjustment", "points adjustments") + " of yours refused"
        found.append(InboxItem("ledger-refused", label, len(refused), path, path, "block", True))
    return found


async def _low_stock(actor: Actor) -> list[InboxItem]:
    low = await stock.low_stock_offers(actor)
    if not low:
        return []
    href = f"{navigation.OFFERS.path}/{low[0].offer_id}" if len(low) == 1 else navigation.OFFERS.path
    label = _plural(len(low), "offer is", "offers are") + " low on stock"
    return [InboxItem("low-stock", label, len(low), href, navigation.OFFERS.path, "inventory_2", False)]


async def _failed_deliveries(actor: Actor) -> list[InboxItem]:
    count = await deliveries.count_deliveries(actor, DeliveryFilter(status="failed"))
    if not count:
        return []
    label = _plural(count, "delivery", "deliveries") + " failed"
    return [InboxItem("failed-deliveries", label, count, f"{DELIVERIES_PATH}?status=failed", DELIVERIES_PATH, "report", False)]


async def _breaching_tickets(actor: Actor) -> list[InboxItem]:
    """Active tickets past their SLA deadline or within the queue's "breaching soon" horizon."""
    count = min(await tickets.count_queue(actor, tickets.BREACHING_SOON), CAP)
    if not count:
        return []
    label = _plural(count, "ticket is", "tickets are") + " breaching or about to breach the SLA"
    href = f"{navigation.TICKETS.path}?view={tickets.BREACHING_SOON}"
    return [InboxItem("breaching-tickets", label, count, href, navigation.TICKETS.path, "alarm", False)]


async def _flagged_partners(actor: Actor) -> list[InboxItem]:
    count = await partner_flags.count_open_flags(actor)
    if not count:
        return []
    label = _plural(count, "partner is", "partners are") + " flagged for performance"
    path = navigation.PARTNER_PERFORMANCE.path
    return [InboxItem("flagged-partners", label, count, path, path, "flag", False)]


async def _replacements_to_decide(actor: Actor) -> list[InboxItem]:
    if not actor.can(replacement.PERMISSION):
        return []
    waiting = [action for action in await replacement.pending_replacements(actor, CAP) if action.requested_by != actor.id]
    if not waiting:
        return []
    href = f"{navigation.PARTNERS.path}/{waiting[0].partner_id}" if len(waiting) == 1 else navigation.PARTNERS.path
    label = _plural(len(waiting), "partner replacement awaits", "partner replacements await") + " your approval"
    return [InboxItem("partner-replacements", label, len(waiting), href, navigation.PARTNERS.path, "swap_horiz", True)]


@dataclass(frozen=True)
class Source:
    needs: Permission | None
    read: Callable[[Actor], Awaitable[list[InboxItem]]]


SOURCES = (
    Source(Permission.CATALOG_READ, _go_live_to_decide),
    Source(Permission.CATALOG_READ, _go_live_refused),
    Source(Permission.REWARDS_READ, _uploads_to_approve),
    Source(navigation.ISSUANCE_APPROVALS.needs, _issuances_to_approve),
    Source(navigation.APPROVALS.needs, _adjustments),
    Source(Permission.CATALOG_READ, _low_stock),
    Source(Permission.DELIVERIES_READ, _failed_deliveries),
    Source(Permission.TICKETS_WRITE, _breaching_tickets),  # for those who may work tickets
    Source(Permission.REPORTS_READ, _flagged_partners),
    Source(Permission.REPORTS_READ, _replacements_to_decide),
)


async def inbox(actor: Actor) -> list[InboxItem]:
    """Everything waiting, this person's first; only what they may open."""
    found: list[InboxItem] = []
    for source in SOURCES:
        if source.needs is None or actor.can(source.needs):
            found.extend(await source.read(actor))
    return sorted(found, key=lambda item: not item.mine)


def badge_counts(items: list[InboxItem]) -> dict[str, int]:
    """Per navigation entry, how many things wait behind it."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.menu_path] = counts.get(item.menu_path, 0) + item.count
    return counts
