"""What Piccolo's columns cannot say: a terms version number is used once per offer, one issuance
holds at most one code, and allocation finds the next available code of an offer and
denomination through a partial index (earliest expiry first)."""

from backend.core.migrate import ddl_migration

ID = "2026-11-23T12:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique terms version per offer; one code per issuance; available-stock index"

_STATEMENTS = [
    "CREATE UNIQUE INDEX offer_terms_versions_once ON offer_terms_versions (offer, version)",
    "CREATE UNIQUE INDEX voucher_codes_one_per_issuance ON voucher_codes (allocated_to) WHERE allocated_to IS NOT NULL",
    "CREATE INDEX voucher_codes_available ON voucher_codes (offer, denomination, expires_on, id) WHERE status = 'available'",
    "CREATE INDEX voucher_codes_offer_status ON voucher_codes (offer, status)",
]


async def forwards():
    return ddl_migration(ID, "catalog", DESCRIPTION, _STATEMENTS)
