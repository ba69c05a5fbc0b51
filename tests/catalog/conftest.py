import pytest
from catalogue_steps import offer_input, onboard_to_live, profile, role_actor

from backend.catalog.services import offers
from backend.partners.services import profiles


@pytest.fixture
def checker():
    """A second admin (the checker of maker-checker)."""
    return role_actor("admin", "checker@example.com")


@pytest.fixture
async def onboarding_partner(admin):
    return await profiles.create_partner(admin, profile(name="Draft Partner"))


@pytest.fixture
async def draft_offer(admin, onboarding_partner):
    return await offers.create_offer(admin, onboarding_partner.id, offer_input(), terms="Version one of the terms.")


@pytest.fixture
async def live(admin, checker):
    """(partner, offer): a partner taken through the whole workflow to live, its offer still draft."""
    return await onboard_to_live(admin, checker)
