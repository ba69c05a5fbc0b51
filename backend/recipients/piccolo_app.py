import os

from piccolo.conf.apps import AppConfig

from backend.recipients.imports.tables import RecipientImport, RecipientImportRow
from backend.recipients.tables import Programme, Recipient

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="recipients",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Programme, Recipient, RecipientImport, RecipientImportRow],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
