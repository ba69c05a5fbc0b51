"""``deliveries.upload_id`` and ``issued_at``: copied from the reward when its delivery is made, so
the Deliveries listing filters by upload and by issue date on its own table, by index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "deliveries: upload_id and issued_at of the delivered reward"


def _params(**extra) -> dict:
    return {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="deliveries", description=DESCRIPTION)
    for name, column_class in (("upload_id", UUID), ("issued_at", Timestamptz)):
        manager.add_column(
            table_class_name="Delivery",
            tablename="deliveries",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=_params(),
            schema=None,
        )
    return manager
