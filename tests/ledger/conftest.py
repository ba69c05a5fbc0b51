"""Ledger fixtures: a programme with recipients, and finance users for maker-checker."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from backend.core.authz import SYSTEM
from backend.recipients import services as recipients


@dataclass(frozen=True)
class Setting:
    programme_id: object
    recipient_ids: list


async def make_programme(name: str = "Loyalty", recipients_count: int = 3) -> Setting:
    programme = await recipients.create_programme(SYSTEM, name, "INR", "0.25")
    ids = []
    for index in range(recipients_count):
        result = await recipients.upsert_recipient(
            SYSTEM,
            recipients.RecipientInput(external_id=f"{name}-R{index}", full_name=f"Person {index}", email=f"p{index}@example.com"),
        )
        ids.append(result.recipient.id)
    return Setting(programme.id, ids)


@pytest.fixture
async def programme(db) -> Setting:
    return await make_programme()


@pytest.fixture
async def finance(db):
    """Two finance users: a maker and a checker."""
    from backend.access import services as access

    maker = await access.create_user(SYSTEM, "maker@example.com", "Mia Maker", "correct horse battery", ["finance"])
    checker = await access.create_user(SYSTEM, "checker@example.com", "Chen Checker", "correct horse battery", ["finance"])
    return access.actor_for_user(maker), access.actor_for_user(checker)


@pytest.fixture
def new_programme(db):
    """Makes more programmes: ``await new_programme(name, recipients_count)``."""
    return make_programme
