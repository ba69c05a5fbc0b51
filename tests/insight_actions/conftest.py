import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign and catalogue steps
sys.path.insert(0, os.path.dirname(__file__))

from campaign_steps import role_actor  # noqa: E402


@pytest.fixture
def checker():
    """A second admin: the checker of maker-checker."""
    return role_actor("admin", "checker@example.com")
