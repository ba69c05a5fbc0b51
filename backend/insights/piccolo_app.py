"""Insights: performance events, daily roll-ups, fx rates and the metrics over them."""

import os

from piccolo.conf.apps import AppConfig

from backend.insights.tables import (
    FxRate,
    InsightDaily,
    InsightEvent,
    InsightEventKey,
    InsightMonthly,
    InsightPartnerDaily,
    InsightPartnerMonthly,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="insights",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        InsightEvent,
        InsightEventKey,
        InsightDaily,
        InsightPartnerDaily,
        InsightMonthly,
        InsightPartnerMonthly,
        FxRate,
    ],
    migration_dependencies=["backend.core.piccolo_app", "backend.recipients.piccolo_app", "backend.catalog.piccolo_app"],
    commands=[],
)
