import os

from piccolo.conf.apps import AppConfig

from backend.ledger.tables import AdjustmentRequest, LedgerAccount, LedgerReservation, LedgerTransfer

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="ledger",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[LedgerAccount, LedgerTransfer, LedgerReservation, AdjustmentRequest],
    migration_dependencies=["backend.core.piccolo_app", "backend.recipients.piccolo_app"],
    commands=[],
)
