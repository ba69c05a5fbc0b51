"""The audit log page: lists entries newest first, filters them in the database, shows each change."""

from __future__ import annotations

from datetime import timedelta

from nicegui.testing import User

from backend.access import services as access
from backend.core.clock import utcnow


async def test_lists_entries_and_filters_them(console: User, admin, patience, table, eventually, create_person) -> None:
    await create_person("dora@example.com", ["viewer"])
    await access.create_api_key(admin, "Payroll feed", ["recipients:read"])
    await console.open("/audit")
    rows = table(console).rows
    actions = [row["action"] for row in rows]
    assert actions[0] == "api_key.created"  # newest first
    assert {"user.created", "user.logged_in", "api_key.created"} <= set(actions)
    assert table(console).pagination["rowsNumber"] == len(rows)

    console.find(marker="filter-action").type("api_key.")
    await eventually(lambda: [row["action"] for row in table(console).rows] == ["api_key.created"])
    assert table(console).pagination["rowsNumber"] == 1
    console.find(marker="filter-action").clear()
    await eventually(lambda: len(table(console).rows) == len(rows))
    console.find(marker="filter-action").type("LOGGED")  # anywhere in the action, any case
    await eventually(lambda: {row["action"] for row in table(console).rows} == {"user.logged_in"})
    console.find(marker="filter-action").clear()
    await eventually(lambda: len(table(console).rows) == len(rows))

    console.find(marker="filter-entity_type").click()
    console.find("user").click()
    await eventually(lambda: {row["entity"].split(" · ")[0] for row in table(console).rows} == {"user"})
    # Entities by name, not by a cut id.
    assert {row["entity"] for row in table(console).rows} >= {"user · dora@example.com", "user · admin@example.com"}

    console.find(marker="filter-actor").type("system")  # the fixture's admin was created by the system actor
    await eventually(lambda: [row["action"] for row in table(console).rows] == ["user.created"])

    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    console.find(marker="filter-actor").clear()
    console.find(marker="filter-since").type(tomorrow)
    await eventually(lambda: table(console).rows == [])
    await console.open("/audit")
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    console.find(marker="filter-until").type(yesterday)
    await eventually(lambda: table(console).rows == [])
    console.find(marker="filter-until").clear()
    console.find(marker="filter-until").type(utcnow().date().isoformat())  # "to" includes that whole day
    await eventually(lambda: len(table(console).rows) == len(rows))


async def test_link_filters_by_entity_and_details_show_the_change(
    console: User, admin, patience, table, eventually, create_person
) -> None:
    await create_person("eve@example.com", ["viewer"])
    eve = (await access.list_users(admin, "eve@")).rows[0]
    await access.set_roles(admin, eve.id, ["viewer", "finance"])

    await console.open(f"/audit?entity_type=user&entity_id={eve.id}")
    assert [row["action"] for row in table(console).rows] == ["user.roles_changed", "user.created"]
    changed = table(console).rows[0]
    assert changed["changed"] == "roles: viewer → finance, viewer"

    console.find(marker="paged-table").trigger("row_action", {"action": "details", "key": changed["id"]})
    await console.should_see(marker="audit-entry", retries=patience)
    await console.should_see("admin@example.com (user)")
    changes = {row["field"]: row for row in table(console, "audit-changes").rows}
    assert changes["roles"]["before"] == "viewer"
    assert changes["roles"]["after"] == "finance, viewer"
    assert changes["roles"]["kind"] == "changed"
    assert "email" not in changes  # unchanged fields are only named
    await console.should_see("Unchanged: display_name, email, is_active")


async def test_audit_pages_on_the_server(console: User, admin, table, eventually) -> None:
    for number in range(30):
        await access.create_api_key(admin, f"key {number:02d}", ["reports:read"])
    await console.open("/audit?action=api_key.")
    grid = table(console)
    assert grid.pagination["rowsNumber"] == 30 and len(grid.rows) == 25
    console.find(marker="paged-table").trigger("request", {"page": 2, "rowsPerPage": 25, "sortBy": None, "descending": False})
    await eventually(lambda: grid.pagination["page"] == 2)
    assert len(grid.rows) == 5


async def test_entities_read_by_name(console: User, admin, table, eventually) -> None:
    from backend.recipients import services as recipients

    asha = await recipients.create_recipient(
        admin, recipients.RecipientInput(external_id="E-1", full_name="Asha Rao", email="asha@example.com")
    )
    programme = await recipients.create_programme(admin, "Sales stars", "INR", "0.25")
    await console.open("/audit?action=created")
    await eventually(lambda: "recipient · Asha Rao (E-1)" in {row["entity"] for row in table(console).rows})
    assert "programme · Sales stars" in {row["entity"] for row in table(console).rows}
    entities = " ".join(row["entity"] for row in table(console).rows)
    assert str(asha.id)[-6:] not in entities and str(programme.id)[-6:] not in entities
