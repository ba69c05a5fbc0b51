"""An upload names the columns it read past (``ignored_columns``) and counts its rows flagged as
possible duplicates (``rows_flagged``); a row keeps its warnings, which do not stop it being
issued (``warnings``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T04:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ignored columns, flagged rows and row warnings of uploads"

_PARAMS = {
    "null": False,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reward_uploads", description=DESCRIPTION)
    for class_name, tablename, column_name, column_class, default in (
        ("RewardUpload", "reward_uploads", "ignored_columns", JSON, "[]"),
        ("RewardUpload", "reward_uploads", "rows_flagged", Integer, 0),
        ("RewardUploadRow", "reward_upload_rows", "warnings", JSON, "[]"),
    ):
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=column_name,
            db_column_name=column_name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={"default": default, **_PARAMS},
            schema=None,
        )
    return manager
