"""Per-segment ranking adjustments (segment routing): the ``offer_segment_routes`` table, one row per
(offer, segment rule)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

from backend.core.ids import UUID7Default

ID = "2026-12-07T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "segment routing: per-segment ranking adjustments of offers"


class Offer(Table, tablename="offers", schema=None):
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


COLUMNS = [
    ("id", UUID, _params(default=UUID7Default(), primary_key=True)),
    (
        "offer",
        ForeignKey,
        _params(
            references=Offer, on_delete=OnDelete.restrict, on_update=OnUpdate.cascade, target_column=None, null=True, index=True
        ),
    ),
    ("segment_rule", Text, _params(default="")),
    ("adjustment", Integer, _params(default=0)),
    ("note", Text, _params(default="")),
    ("updated_by_label", Varchar, _params(length=255, default="")),
    ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ("updated_at", Timestamptz, _params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)
    manager.add_table(class_name="SegmentRoute", tablename="offer_segment_routes", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="SegmentRoute",
            tablename="offer_segment_routes",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
