"""Deliveries made before ``upload_id``/``issued_at`` existed get them from their reward; and the
indexes of what the admin reads query: the listing (failed first, then newest, by id since ids
are time-ordered UUIDv7), its filters, an upload's counts and the success rates over a period."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T10:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "deliveries: backfill upload_id and issued_at; listing, filter and rate indexes"

_STATEMENTS = [
    """UPDATE deliveries SET issued_at = (SELECT COALESCE(r.issued_at, r.created_at) FROM reward_issuances r
    WHERE r.id = deliveries.issuance_id) WHERE issued_at IS NULL""",
    """UPDATE deliveries SET upload_id = u.upload FROM reward_upload_rows u
    WHERE u.issuance_id = deliveries.issuance_id AND deliveries.upload_id IS NULL""",
    # The expression is the listing's ORDER BY, word for word (backend/deliveries/services/listing.py).
    "CREATE INDEX deliveries_listing ON deliveries ((CASE WHEN status = 'failed' THEN 0 ELSE 1 END), id DESC)",
    "CREATE INDEX deliveries_by_upload ON deliveries (upload_id, status)",
    # rewards(filter: {deliveryStatus}) walks the rewards of a delivery status, newest first.
    "CREATE INDEX deliveries_by_status_issuance ON deliveries (status, issuance_id)",
    "CREATE INDEX deliveries_by_failure ON deliveries (failure_code, id)",
    "CREATE INDEX deliveries_by_issued_at ON deliveries (issued_at)",
    "CREATE INDEX deliveries_by_recipient_status ON deliveries (recipient_id, status)",
    "CREATE INDEX deliveries_by_created_at ON deliveries (created_at, channel)",
    "CREATE INDEX delivery_attempts_by_started_at ON delivery_attempts (started_at, provider)",
]


async def forwards():
    return ddl_migration(ID, "deliveries", DESCRIPTION, _STATEMENTS)
