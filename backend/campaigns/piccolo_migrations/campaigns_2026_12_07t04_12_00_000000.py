"""A campaign may ask for strict upload templates: a file with columns other than the upload's
is then refused instead of read past (``strict_upload_columns``, off by default)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T04:12:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "campaigns.strict_upload_columns"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="campaigns", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Campaign",
        tablename="campaigns",
        column_name="strict_upload_columns",
        db_column_name="strict_upload_columns",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
