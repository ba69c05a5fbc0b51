"""A programme's delivery settings: defaults until set, checked field by field (bad input names the
field and changes nothing), stored, and audited with before and after."""

from __future__ import annotations

import json

import pytest
from campaign_steps import make_programme
from delivery_steps import count

from backend.core import sql
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.deliveries.services.programme_settings import (
    DeliverySettingsInput,
    get_delivery_settings,
    set_delivery_settings,
)


async def test_defaults_until_set_then_stored_and_audited(admin):
    programme = await make_programme("Settings")
    defaults = await get_delivery_settings(admin, programme.id)
    assert (defaults.quiet_hours, defaults.fallback, defaults.updated_at) == (False, False, None)
    assert defaults.fallback_order == ("email", "sms", "whatsapp")

    wanted = DeliverySettingsInput(
        programme.id,
        quiet_hours=True,
        quiet_start="20:30",
        quiet_end="07:45",
        time_zone="Asia/Kolkata",
        fallback=True,
        fallback_order=["whatsapp", "sms", "email"],
    )
    stored = await set_delivery_settings(admin, wanted)
    again = await get_delivery_settings(admin, programme.id)
    assert again == stored
    assert (again.quiet_hours, again.quiet_start, again.quiet_end, again.time_zone) == (True, "20:30", "07:45", "Asia/Kolkata")
    assert (again.fallback, again.fallback_order) == (True, ("whatsapp", "sms", "email"))
    assert again.updated_by_label == admin.label

    await set_delivery_settings(admin, DeliverySettingsInput(programme.id, quiet_hours=False))
    rows = await sql.fetch(
        "SELECT before, after FROM audit_events WHERE action = 'delivery_settings.set' AND entity_id = $1 ORDER BY occurred_at",
        str(programme.id),
    )
    assert len(rows) == 2
    assert rows[0]["before"] is None and json.loads(rows[0]["after"])["time_zone"] == "Asia/Kolkata"
    assert json.loads(rows[1]["before"])["quiet_hours"] is True and json.loads(rows[1]["after"])["quiet_hours"] is False
    assert await count("SELECT COUNT(*) FROM delivery_settings") == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"quiet_start": "25:00"}, [("quiet_start", "INVALID_TIME")]),
        ({"quiet_end": "8am"}, [("quiet_end", "INVALID_TIME")]),
        ({"quiet_start": "08:00", "quiet_end": "08:00"}, [("quiet_end", "EMPTY_WINDOW")]),
        ({"time_zone": "Mars/Olympus"}, [("time_zone", "INVALID_TIME_ZONE")]),
        ({"time_zone": "../../etc/passwd"}, [("time_zone", "INVALID_TIME_ZONE")]),
        ({"fallback_order": ["email", "pigeon"]}, [("fallback_order", "INVALID_CHANNEL")]),
        ({"fallback_order": ["sms", "sms"]}, [("fallback_order", "DUPLICATE_CHANNEL")]),
        ({"fallback": True, "fallback_order": ["sms"]}, [("fallback_order", "TOO_FEW_CHANNELS")]),
    ],
)
async def test_bad_settings_name_the_field_and_change_nothing(admin, changes, expected):
    programme = await make_programme("Settings")
    with pytest.raises(DomainError) as refused:
        await set_delivery_settings(admin, DeliverySettingsInput(programme.id, **changes))
    assert [(item.field, item.code) for item in refused.value.errors] == expected
    assert await count("SELECT COUNT(*) FROM delivery_settings") == 0
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'delivery_settings.set'") == 0


async def test_unknown_programme_and_missing_permission_are_refused(admin):
    with pytest.raises(NotFound):
        await set_delivery_settings(admin, DeliverySettingsInput(new_id()))
    from campaign_steps import role_actor

    with pytest.raises(DomainError) as refused:
        await set_delivery_settings(role_actor("viewer", "viewer@example.com"), DeliverySettingsInput(new_id()))
    assert refused.value.code == "FORBIDDEN"
