"""What a ticket is about, by name: the recipient, the reward, its delivery, the offer and its
partner, each read through the domain that owns it with the agent's own rights (a role that may not
read a domain sees that it is hidden, not an id)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from backend.catalog.services.offers import get_offer
from backend.core.authz import Actor
from backend.core.errors import DomainError
from backend.deliveries.services.reading import get_delivery
from backend.partners.services.profiles import get_partner
from backend.recipients import services as recipients
from backend.rewards.services.issuances import get_issuance
from backend.tickets.views import TicketView
from ui.components.display import EMPTY, day_of
from ui.pages.deliveries.timeline import timeline_url
from ui.pages.deliveries.words import DELIVERY_STATUSES, channel_name
from ui.pages.rewards.words import amount

HIDDEN = "not shown to your role"


async def _named(read: Callable[[], Awaitable[str]], present: bool) -> str:
    if not present:
        return EMPTY
    try:
        return await read()
    except DomainError:  # refused (or gone): the ticket still shows, without the name
        return HIDDEN


async def link_names(actor: Actor, ticket: TicketView) -> dict[str, str]:
    async def programme() -> str:
        return (await recipients.get_programme(actor, ticket.programme_id)).name

    async def recipient() -> str:
        person = await recipients.get_recipient(actor, ticket.recipient_id)
        return f"{person.full_name} ({person.external_id})"

    async def reward() -> str:
        issuance = await get_issuance(actor, ticket.issuance_id)
        return f"{amount(issuance.value, issuance.currency)}, issued {day_of(issuance.created_at)}"

    async def delivery() -> str:
        sent = await get_delivery(actor, ticket.delivery_id)
        return f"{channel_name(sent.channel)} to {sent.contact or EMPTY}: {DELIVERY_STATUSES.get(sent.status, sent.status)}"

    async def offer() -> str:
        return (await get_offer(actor, ticket.offer_id)).title

    async def partner() -> str:
        return (await get_partner(actor, ticket.partner_id)).name

    return {
        "Programme": await _named(programme, True),
        "Recipient": await _named(recipient, ticket.recipient_id is not None),
        "Reward": await _named(reward, ticket.issuance_id is not None),
        "Delivery": await _named(delivery, ticket.delivery_id is not None),
        "Offer": await _named(offer, ticket.offer_id is not None),
        "Partner": await _named(partner, ticket.partner_id is not None),
    }


def links_card(ticket: TicketView, names: dict[str, str]) -> None:
    with ui.card().classes("mb-card w-full q-pa-md gap-1").mark("ticket-links"):
        ui.label("About").classes("text-subtitle1 text-weight-medium")
        for label, name in names.items():
            with ui.row().classes("w-full no-wrap gap-2"):
                ui.label(label).classes("mb-muted w-24 shrink-0")
                if label == "Delivery" and ticket.issuance_id and name not in (EMPTY, HIDDEN):
                    ui.link(name, timeline_url(ticket.issuance_id)).classes("text-primary").mark("link-delivery")
                else:
                    ui.label(name).mark(f"link-{label.lower()}")
