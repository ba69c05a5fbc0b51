"""Campaigns: rules, governance counters, per-recipient tallies and grants."""

import os

from piccolo.conf.apps import AppConfig

from backend.campaigns.tables import Campaign, CampaignGrant, CampaignRecipientTally

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="campaigns",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Campaign, CampaignRecipientTally, CampaignGrant],
    migration_dependencies=["backend.core.piccolo_app", "backend.recipients.piccolo_app"],
    commands=[],
)
