"""Rewards: issuances."""

import os

from piccolo.conf.apps import AppConfig

from backend.rewards.tables import RewardIssuance

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="rewards",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[RewardIssuance],
    migration_dependencies=["backend.core.piccolo_app", "backend.campaigns.piccolo_app"],
    commands=[],
)
