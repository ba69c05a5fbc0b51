import pytest

from backend.core import audit
from backend.core.authz import SYSTEM
from backend.core.tables import AuditEvent
from backend.recipients import services as recipients


async def test_every_write_is_audited_with_actor_and_before_after(admin):
    await recipients.upsert_recipient(
        admin, recipients.RecipientInput(external_id="E-1", full_name="Asha Rao", email="asha@example.com")
    )
    await recipients.upsert_recipient(
        admin, recipients.RecipientInput(external_id="E-1", full_name="Asha R. Rao", email="asha@example.com")
    )
    page = await audit.search(admin, audit.AuditFilter(entity_type="recipient"))
    assert [row["action"] for row in page.rows] == ["recipient.updated", "recipient.created"]
    updated = page.rows[0]
    assert updated["actor_label"] == "admin@example.com"
    assert updated["before"]["full_name"] == "Asha Rao" and updated["after"]["full_name"] == "Asha R. Rao"


async def test_audit_log_refuses_update_and_delete(admin):
    await audit.record(SYSTEM, "test.written", "thing", "1", after={"x": 1})
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.update({AuditEvent.action: "tampered"}).where(AuditEvent.entity_id == "1")
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.delete().where(AuditEvent.entity_id == "1")
    rows = await AuditEvent.select().where(AuditEvent.entity_id == "1")
    assert [row["action"] for row in rows] == ["test.written"]


async def test_search_filters_and_pages_in_the_database(admin):
    for index in range(7):
        await audit.record(admin, "widget.made", "widget", index)
    await audit.record(SYSTEM, "widget.melted", "widget", 99)
    first = await audit.search(admin, audit.AuditFilter(action="widget.made"), offset=0, limit=5)
    second = await audit.search(admin, audit.AuditFilter(action="widget.made"), offset=5, limit=5)
    assert first.total == 7 and len(first.rows) == 5 and len(second.rows) == 2
    assert {row["entity_id"] for row in first.rows + second.rows} == {str(i) for i in range(7)}
    by_actor = await audit.search(admin, audit.AuditFilter(actor="SYST", action="widget."))
    assert [row["action"] for row in by_actor.rows] == ["widget.melted"]


async def test_reading_the_audit_log_needs_the_permission(db):
    from backend.access import services as access
    from backend.core.errors import PermissionDenied

    viewer = access.actor_for_user(
        await access.create_user(SYSTEM, "v@example.com", "Vee", "a long enough password", ["support_agent"])
    )
    with pytest.raises(PermissionDenied):
        await audit.search(viewer, audit.AuditFilter())
