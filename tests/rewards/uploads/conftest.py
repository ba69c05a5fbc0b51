import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # upload_steps

from upload_steps import make_setting, role_actor


@pytest.fixture
def checker():
    """A second admin: the checker of maker-checker."""
    return role_actor("admin", "checker@example.com")


@pytest.fixture
async def setting(admin, checker):
    return await make_setting(admin, checker)
