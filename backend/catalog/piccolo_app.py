"""Catalogue: offers, terms versions, voucher imports and codes."""

import os

from piccolo.conf.apps import AppConfig

from backend.catalog.tables import Offer, SegmentRoute, TermsVersion, VoucherCode, VoucherImport

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="catalog",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Offer, TermsVersion, VoucherImport, VoucherCode, SegmentRoute],
    migration_dependencies=["backend.core.piccolo_app", "backend.partners.piccolo_app"],
    commands=[],
)
