"""Deliveries: every issued reward reaches its recipient by email, SMS or WhatsApp."""

import os

from piccolo.conf.apps import AppConfig

from backend.deliveries.tables import (
    Announcement,
    AnnouncementMessage,
    ClaimEvent,
    Delivery,
    DeliveryAttempt,
    DeliveryCallbackReceipt,
    DeliveryNotice,
    DeliveryProvider,
    DeliverySettings,
    DeliveryStatusEvent,
    DeliveryTemplate,
    DeliveryTestSend,
    SandboxMessage,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="deliveries",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        Delivery,
        DeliveryAttempt,
        DeliveryProvider,
        DeliveryTemplate,
        SandboxMessage,
        DeliverySettings,
        DeliveryStatusEvent,
        DeliveryCallbackReceipt,
        ClaimEvent,
        DeliveryTestSend,
        DeliveryNotice,
        Announcement,
        AnnouncementMessage,
    ],
    # The rewards' tables first: a migration copies each delivery's upload and issue time from them.
    migration_dependencies=["backend.core.piccolo_app", "backend.rewards.piccolo_app", "backend.rewards.uploads.piccolo_app"],
    commands=[],
)
