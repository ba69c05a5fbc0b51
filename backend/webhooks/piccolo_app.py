import os

from piccolo.conf.apps import AppConfig

from backend.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="webhooks",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[WebhookEndpoint, WebhookDelivery, WebhookAttempt],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
