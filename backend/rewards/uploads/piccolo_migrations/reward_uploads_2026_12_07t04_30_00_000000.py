"""``reward_uploads.refusal_code`` and ``refusal``: the worker validates a received file and, for a
file-level problem, marks the upload ``refused`` with the problem's code and message."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reward_uploads: refusal_code and refusal of a file the worker refused"


def _params(default: str, **extra) -> dict:
    return {
        "default": default,
        "null": False,
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
    manager = MigrationManager(migration_id=ID, app_name="reward_uploads", description=DESCRIPTION)
    manager.add_column(
        table_class_name="RewardUpload",
        tablename="reward_uploads",
        column_name="refusal_code",
        db_column_name="refusal_code",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params("", length=40),
        schema=None,
    )
    manager.add_column(
        table_class_name="RewardUpload",
        tablename="reward_uploads",
        column_name="refusal",
        db_column_name="refusal",
        column_class_name="Text",
        column_class=Text,
        params=_params(""),
        schema=None,
    )
    return manager
