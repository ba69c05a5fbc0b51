"""Announcements: messages to many recipients that are not rewards (a promotional push), sent by
the worker in batches, and each recipient's copy."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, UUID, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

from backend.core.ids import UUID7Default

ID = "2026-12-07T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "announcements (promotional pushes) and their messages"


class Announcement(Table, tablename="delivery_announcements", schema=None):
    id = UUID(default=UUID7Default(), null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree)


def _params(**overrides) -> dict:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **overrides,
    }


TABLES = {
    ("Announcement", "delivery_announcements"): [
        ("id", UUID, _params(default=UUID7Default(), primary_key=True)),
        ("programme_id", UUID, _params(default=UUID4(), index=True)),
        ("subject", Text, _params(default="")),
        ("text", Text, _params(default="")),
        ("variables", JSON, _params(default="{}")),
        ("source", Varchar, _params(length=100, default="")),
        ("status", Varchar, _params(length=16, default="", index=True)),
        ("total", Integer, _params(default=0)),
        ("sent", Integer, _params(default=0)),
        ("failed", Integer, _params(default=0)),
        ("requested_by_label", Varchar, _params(length=255, default="")),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
        ("finished_at", Timestamptz, _params(default=None, null=True)),
    ],
    ("AnnouncementMessage", "delivery_announcement_messages"): [
        ("id", UUID, _params(default=UUID7Default(), primary_key=True)),
        (
            "announcement",
            ForeignKey,
            _params(
                references=Announcement,
                on_delete=OnDelete.restrict,
                on_update=OnUpdate.cascade,
                target_column=None,
                null=True,
                index=True,
            ),
        ),
        ("recipient_id", UUID, _params(default=UUID4())),
        ("channel", Varchar, _params(length=16, default="")),
        ("contact", Varchar, _params(length=254, default=None, null=True)),
        ("status", Varchar, _params(length=16, default="")),
        ("claimed_until", Timestamptz, _params(default=None, null=True)),
        ("provider", Varchar, _params(length=32, default=None, null=True)),
        ("provider_message_id", Varchar, _params(length=200, default=None, null=True)),
        ("error_code", Varchar, _params(length=40, default=None, null=True)),
        ("error_text", Text, _params(default=None, null=True)),
        ("sent_at", Timestamptz, _params(default=None, null=True)),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="deliveries", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )
    return manager
