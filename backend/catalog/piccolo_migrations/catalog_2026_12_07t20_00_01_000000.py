"""What Piccolo's columns cannot say: one route per (offer, segment rule)."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T20:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one segment route per offer and segment rule"


async def forwards():
    return ddl_migration(
        ID, "catalog", DESCRIPTION, ["CREATE UNIQUE INDEX offer_segment_routes_one ON offer_segment_routes (offer, segment_rule)"]
    )
