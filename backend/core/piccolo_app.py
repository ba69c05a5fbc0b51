import os

from piccolo.conf.apps import AppConfig

from backend.core.tables import AuditEvent, IdempotencyRecord, OutboxEvent

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[AuditEvent, OutboxEvent, IdempotencyRecord],
    migration_dependencies=[],
    commands=[],
)
