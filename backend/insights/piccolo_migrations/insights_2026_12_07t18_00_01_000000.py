"""PostgreSQL only: the dashboards' scan of a programme's partner-days over a period reads the
index alone (an index-only scan, INCLUDE carries the counts) instead of every row of the table,
which holds all programmes. SQLite has no INCLUDE; its primary key serves."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T18:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering index of the partner-day roll-up for the dashboards (PostgreSQL)"

_POSTGRES = [
    "CREATE INDEX insight_partner_daily_covering ON insight_partner_daily (programme_id, day) "
    "INCLUDE (partner_id, views, activations, redemptions, spend_minor)"
]


async def forwards():
    return ddl_migration(ID, "insights", DESCRIPTION, [], postgres=_POSTGRES)
