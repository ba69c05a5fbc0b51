"""The audit log's entities by name: "recipient · Asha Rao (E-1)", not a cut UUID. Names are read
per page, one query per entity type (through each domain's service, under the reader's own rights);
an entity the reader may not see, or that is gone, keeps its short id."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable

from backend.access import services as access
from backend.campaigns.services import campaigns
from backend.catalog.services import offers
from backend.core.authz import Actor
from backend.core.errors import DomainError
from backend.partners.services import profiles
from backend.recipients import services as recipients

Names = Callable[[Actor, list[uuid.UUID]], Awaitable[dict[uuid.UUID, str]]]


async def _recipients(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {k: f"{v.full_name} ({v.external_id})" for k, v in (await recipients.recipients_by_ids(actor, ids)).items()}


async def _partners(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {k: v.name for k, v in (await profiles.partners_by_ids(actor, ids)).items()}


async def _offers(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {k: v.title for k, v in (await offers.offers_by_ids(actor, ids)).items()}


async def _campaigns(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {k: v.name for k, v in (await campaigns.campaigns_by_ids(actor, ids)).items()}


async def _programmes(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {programme_id: (await recipients.get_programme(actor, programme_id)).name for programme_id in ids}


async def _users(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {user_id: (await access.get_user(actor, user_id)).email for user_id in ids}


async def _tickets(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    # Imported here: the tickets pages' package imports most of the console, which imports this page.
    from ui.pages.tickets.words import short_id

    return {ticket_id: short_id(ticket_id) for ticket_id in ids}  # the reference agents say; no content read


READERS: dict[str, Names] = {
    "recipient": _recipients,
    "partner": _partners,
    "offer": _offers,
    "campaign": _campaigns,
    "programme": _programmes,
    "user": _users,
    "ticket": _tickets,
}
ENTITY_WORDS = {"api_key": "API key", "reward_upload": "upload", "recipient_import": "recipient import"}


def short(entity_id: str) -> str:
    """UUIDv7s of one day share their first digits: keep the start and the distinguishing end."""
    return f"{entity_id[:8]}…{entity_id[-6:]}" if len(entity_id) > 20 else entity_id


async def entity_names(actor: Actor, entries: Iterable[dict]) -> dict[tuple[str, str], str]:
    """(entity_type, entity_id) → name, for the entries whose type has a reader and whose entity is found."""
    wanted: dict[str, set[uuid.UUID]] = {}
    for entry in entries:
        if entry["entity_type"] in READERS:
            try:
                wanted.setdefault(entry["entity_type"], set()).add(uuid.UUID(str(entry["entity_id"])))
            except ValueError:
                continue
    names: dict[tuple[str, str], str] = {}
    for entity_type, ids in wanted.items():
        try:
            found = await READERS[entity_type](actor, sorted(ids))
        except DomainError:  # not this reader's to see (or one is gone): short ids then
            continue
        names.update({(entity_type, str(entity_id)): name for entity_id, name in found.items()})
    return names


def entity_label(entry: dict, names: dict[tuple[str, str], str]) -> str:
    kind = ENTITY_WORDS.get(entry["entity_type"], entry["entity_type"].replace("_", " "))
    entity_id = str(entry["entity_id"])
    return f"{kind} · {names.get((entry['entity_type'], entity_id)) or short(entity_id)}"
