import os

from piccolo.conf.apps import AppConfig

from backend.access.tables import ApiKey, ConsoleSession, User

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="access",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[User, ConsoleSession, ApiKey],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
