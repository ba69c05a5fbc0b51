"""Partner-performance reviews: thresholds, flags, monthly reviews with their report and decisions."""

import os

from piccolo.conf.apps import AppConfig

from backend.insights.reviews.tables import (
    PartnerFlag,
    PartnerReview,
    PartnerReviewDecision,
    PartnerReviewLine,
    PartnerReviewMailing,
    PerformanceThreshold,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="insight_reviews",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        PerformanceThreshold,
        PartnerFlag,
        PartnerReview,
        PartnerReviewLine,
        PartnerReviewDecision,
        PartnerReviewMailing,
    ],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
