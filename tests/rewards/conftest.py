import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps

from campaign_steps import role_actor


@pytest.fixture
def checker():
    """A second admin (the checker of the partner go-live in the catalogue steps)."""
    return role_actor("admin", "checker@example.com")
