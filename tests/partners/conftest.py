import pytest
from onboarding_steps import role_actor


@pytest.fixture
def checker():
    """A second admin: the checker of maker-checker (an actor of its own; no user row needed)."""
    return role_actor("admin", "checker@example.com")
