"""Piccolo configuration: the engine comes from settings; one app per domain."""

from piccolo.conf.apps import AppRegistry

from backend.core.db import make_engine
from backend.core.settings import get_settings

DB = make_engine(get_settings().effective_database_url)

APP_REGISTRY = AppRegistry(
    apps=[
        "backend.core.piccolo_app",
        "backend.access.piccolo_app",
        "backend.recipients.piccolo_app",
        "backend.partners.piccolo_app",
        "backend.catalog.piccolo_app",
        "backend.ledger.piccolo_app",
        "backend.webhooks.piccolo_app",
        "backend.campaigns.piccolo_app",
        "backend.rewards.piccolo_app",
        "backend.rewards.uploads.piccolo_app",
        "backend.deliveries.piccolo_app",
        "backend.tickets.piccolo_app",
        "backend.insights.piccolo_app",
        "backend.insights.reviews.piccolo_app",
        "backend.insights.actions.piccolo_app",
    ]
)
