"""Partners: profiles, onboarding checklists and evidence, go-live requests."""

import os

from piccolo.conf.apps import AppConfig

from backend.partners.tables import ChecklistCompletion, EvidenceFile, GoLiveRequest, Partner, StageSignOff

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="partners",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Partner, EvidenceFile, ChecklistCompletion, StageSignOff, GoLiveRequest],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
