"""Reward uploads: bulk files, their rows and their raw bytes."""

import os

from piccolo.conf.apps import AppConfig

from backend.rewards.uploads.tables import RewardUpload, RewardUploadFileChunk, RewardUploadRow

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="reward_uploads",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[RewardUpload, RewardUploadFileChunk, RewardUploadRow],
    migration_dependencies=["backend.core.piccolo_app", "backend.campaigns.piccolo_app"],
    commands=[],
)
