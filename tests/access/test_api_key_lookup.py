"""Finding a key by what an operator types (`mirabelle api-keys revoke KEY`): id, mb_<prefix> or name."""

import pytest

from backend.access import services as access
from backend.core.errors import DomainError


async def test_a_key_is_found_by_id_prefix_or_name_and_a_shared_name_is_refused(admin):
    key, _ = await access.create_api_key(admin, "CRM", ["recipients:read"])
    for reference in (str(key.id), f"mb_{key.prefix}", key.prefix, "CRM"):
        assert (await access.find_api_key(admin, reference)).id == key.id

    await access.revoke_api_key(admin, key.id)
    successor, _ = await access.create_api_key(admin, "CRM", ["recipients:read"])
    assert (await access.find_api_key(admin, "CRM")).id == successor.id  # the live one, not the revoked one

    third, _ = await access.create_api_key(admin, "CRM", ["recipients:read"])
    with pytest.raises(DomainError, match="AMBIGUOUS_KEY") as refused:
        await access.find_api_key(admin, "CRM")
    assert str(successor.id) in str(refused.value) and str(third.id) in str(refused.value)
    with pytest.raises(DomainError, match="NOT_FOUND"):
        await access.find_api_key(admin, "nobody")
