"""Insights: the corrective actions app (its own Piccolo app; the reviews and roll-ups are others)."""

import os

from piccolo.conf.apps import AppConfig

from backend.insights.actions.tables import CorrectiveAction

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="insight_actions",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[CorrectiveAction],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
