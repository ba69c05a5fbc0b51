"""Fixtures of the insights tests: a programme with partners, offers and people in segments."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
async def shop(db, admin):
    from insight_steps import make_shop

    return await make_shop(admin)
