"""Fixtures of the ticket tests: a programme with a points campaign and a reward issued to someone."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
async def programme(db, admin):
    from delivery_steps import Programme

    return await Programme(admin).start()


@pytest.fixture
async def reward(programme):
    from delivery_steps import person

    someone = await person("EMP-1", email="asha@example.com")
    return await programme.issue(someone.id)


@pytest.fixture
def checker():
    """A second admin (the checker of the partner go-live in the catalogue steps)."""
    from campaign_steps import role_actor

    return role_actor("admin", "checker@example.com")


@pytest.fixture
async def code_reward(admin, checker):
    """A voucher reward (₹500.00 of a live offer with ``codes`` in stock), delivered by the sandbox."""
    from code_steps import delivered_code_reward

    return await delivered_code_reward(admin, checker)
