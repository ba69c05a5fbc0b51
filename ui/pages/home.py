"""Home: what needs this person's attention (an inbox, refreshed live), then how much there is,
counted by the services, for whatever this person may see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from nicegui import ui

from backend.access import services as access
from backend.core import audit
from backend.core.audit import AuditFilter
from backend.core.authz import Actor
from backend.core.clock import utcnow
from backend.deliveries.services import reading
from backend.recipients import services as recipients
from backend.recipients.services.search import RecipientFilter
from ui import inbox, navigation
from ui.auth import console_page
from ui.navigation import Destination
from ui.session import current_actor, signed_in
from ui.theme import frame


async def _recipients(actor: Actor) -> int:
    return (await recipients.search_recipients(actor, RecipientFilter(), limit=1)).total


async def _programmes(actor: Actor) -> int:
    return (await recipients.list_programmes(actor, limit=1)).total


async def _users(actor: Actor) -> int:
    return (await access.list_users(actor, limit=1)).total


async def _active_keys(actor: Actor) -> int:
    return (await access.list_api_keys(actor, include_revoked=False, limit=1)).total


async def _sandbox_messages(actor: Actor) -> int:
    return (await reading.sandbox_messages(actor, limit=1)).total


async def _audit_last_day(actor: Actor) -> int:
    return (await audit.search(actor, AuditFilter(since=utcnow() - timedelta(days=1)), limit=1)).total


@dataclass(frozen=True)
class Tally:
    """One count on the home page; shown to those who may open the page it links to."""

    destination: Destination
    label: str
    hint: str
    count: Callable[[Actor], Awaitable[int]]


TALLIES = (
    Tally(navigation.RECIPIENTS, "Recipients", "who can receive rewards", _recipients),
    Tally(navigation.PROGRAMMES, "Programmes", "each with a point value", _programmes),
    # A newcomer's first reward "arrives" here: the sandbox is the provider until one is set.
    Tally(navigation.SANDBOX_INBOX, "Sandbox inbox", "messages kept instead of sent: see rewards arrive", _sandbox_messages),
    Tally(navigation.USERS, "Console users", "people who sign in here", _users),
    Tally(navigation.API_KEYS, "Active API keys", "integrations using the API", _active_keys),
    Tally(navigation.AUDIT, "Audit entries, last 24 h", "changes and sign-ins", _audit_last_day),
)


def _inbox_item(item: inbox.InboxItem) -> None:
    with (
        ui.link(target=item.href)
        .classes("w-full row items-center no-wrap gap-3 q-pa-sm rounded-borders text-grey-9")
        .style("text-decoration: none")
        .mark(f"inbox-{item.key}")
    ):
        ui.icon(item.icon, size="22px", color="negative" if item.mine else "orange-8")
        ui.label(item.label).classes("text-body1 col")
        ui.badge(f"{item.count:,}", color="negative" if item.mine else "orange-8").props("rounded")
        ui.icon("chevron_right", color="grey-6")


@ui.refreshable
async def _attention() -> None:
    actor = await current_actor()
    if actor is None:
        return
    items = await inbox.inbox(actor)
    with ui.card().classes("mb-card q-pa-md gap-1 w-full").mark("inbox"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("inbox", color="primary")
            ui.label("Needs your attention").classes("text-subtitle1 text-weight-medium")
        if not items:
            ui.label("Nothing is waiting: no approvals, refusals, low stock or failed deliveries.").classes("mb-muted").mark(
                "inbox-empty"
            )
        for heading, mine in (("Waiting for you", True), ("Waiting for anyone", False)):
            group = [item for item in items if item.mine is mine]
            if group:
                ui.label(heading).classes("mb-nav-section q-px-none q-pt-sm")
                for item in group:
                    _inbox_item(item)


async def home_page() -> None:
    person = signed_in()
    with frame(f"Welcome, {person.user.display_name}", "What Mirabelle holds today"):
        await _attention()
        ui.timer(inbox.REFRESH_SECONDS, _attention.refresh, immediate=False)  # it has just drawn
        await _tallies(person.actor)


async def _tallies(actor: Actor) -> None:
    with ui.element("div").classes("mb-tallies"):
        for tally in TALLIES:
            if not tally.destination.open_to(actor):
                continue
            count = await tally.count(actor)
            with (
                ui.card()
                .classes("mb-card q-pa-md cursor-pointer gap-1")
                .on("click", lambda d=tally.destination: ui.navigate.to(d.path))
                .mark(f"tally-{tally.destination.path.strip('/')}")
            ):
                with ui.row().classes("items-center gap-2 no-wrap"):
                    ui.icon(tally.destination.icon, size="22px", color="primary")
                    ui.label(tally.label).classes("text-body2 text-weight-medium")
                ui.label(f"{count:,}").classes("text-h4 text-weight-bold")
                ui.label(tally.hint).classes("mb-muted text-caption")


def register() -> None:
    console_page(navigation.HOME)(home_page)
