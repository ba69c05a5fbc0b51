"""The corrective actions' record: ``insight_actions``."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, UUID, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

from backend.core.ids import UUID7Default

ID = "2026-12-07T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "corrective actions: who, when, what, before/after, and the review they were decided in"


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


COLUMNS = [
    ("id", UUID, _params(default=UUID7Default(), primary_key=True)),
    ("kind", Varchar, _params(length=32, default="", index=True)),
    ("status", Varchar, _params(length=16, default="", index=True)),
    ("partner_id", UUID, _params(default=None, null=True, index=True)),
    ("review_id", UUID, _params(default=None, null=True, index=True)),
    ("summary", Text, _params(default="")),
    ("request", JSON, _params(default="{}")),
    ("before", JSON, _params(default=None, null=True)),
    ("after", JSON, _params(default=None, null=True)),
    ("announcement_id", UUID, _params(default=None, null=True)),
    ("requested_by", UUID, _params(default=None, null=True)),
    ("requested_by_kind", Varchar, _params(length=16, default="user")),
    ("requested_by_label", Varchar, _params(length=255, default="")),
    ("requested_at", Timestamptz, _params(default=TimestamptzNow())),
    ("decided_by", UUID, _params(default=None, null=True)),
    ("decided_by_label", Varchar, _params(length=255, default="")),
    ("decided_at", Timestamptz, _params(default=None, null=True)),
    ("decision_note", Text, _params(default="")),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insight_actions", description=DESCRIPTION)
    manager.add_table(class_name="CorrectiveAction", tablename="insight_actions", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="CorrectiveAction",
            tablename="insight_actions",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
