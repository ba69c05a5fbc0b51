"""Insights' tables, by hand: on PostgreSQL ``insight_events`` is partitioned by month (range on
``occurred_at``) with a default partition that catches a month not created yet; monthly partitions
are added ahead by ``backend.insights.partitions``. SQLite gets a plain table.

The roll-up's primary key (its cell) is what the worker's upsert adds its deltas to, and its leading
(programme_id, day) serves every metrics query, which reads one programme over a range of days."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "insight events (partitioned by month on PostgreSQL), event keys, daily roll-ups (cells and partners), fx rates"

_EVENT_COLUMNS = """
    id UUID NOT NULL,
    kind VARCHAR(16) NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    programme_id UUID NOT NULL,
    partner_id UUID,
    offer_id UUID,
    campaign_id UUID,
    recipient_id UUID,
    issuance_id UUID,
    country VARCHAR(2) NOT NULL DEFAULT '',
    business_unit VARCHAR(120) NOT NULL DEFAULT '',
    department VARCHAR(120) NOT NULL DEFAULT '',
    grade VARCHAR(60) NOT NULL DEFAULT '',
    location VARCHAR(120) NOT NULL DEFAULT '',
    value_minor BIGINT,
    currency VARCHAR(3),
    programme_value_minor BIGINT,
    source VARCHAR(32) NOT NULL,
    source_ref VARCHAR(200) NOT NULL"""

_POSTGRES = [
    f"CREATE TABLE insight_events ({_EVENT_COLUMNS},\n    PRIMARY KEY (occurred_at, id)\n) PARTITION BY RANGE (occurred_at)",
    "CREATE TABLE insight_events_default PARTITION OF insight_events DEFAULT",
]

_SQLITE = [f"CREATE TABLE insight_events ({_EVENT_COLUMNS},\n    PRIMARY KEY (id)\n)"]

_STATEMENTS = [
    # The rebuild reads a programme's events by time; on PostgreSQL the index is made on every partition.
    "CREATE INDEX insight_events_programme_time ON insight_events (programme_id, occurred_at)",
    """CREATE TABLE insight_event_keys (
    kind VARCHAR(16) NOT NULL,
    source VARCHAR(32) NOT NULL,
    source_ref VARCHAR(200) NOT NULL,
    event_id UUID NOT NULL,
    PRIMARY KEY (kind, source, source_ref)
)""",
    """CREATE TABLE insight_daily (
    day DATE NOT NULL,
    programme_id UUID NOT NULL,
    partner_id UUID NOT NULL,
    offer_id UUID NOT NULL,
    country VARCHAR(2) NOT NULL DEFAULT '',
    business_unit VARCHAR(120) NOT NULL DEFAULT '',
    department VARCHAR(120) NOT NULL DEFAULT '',
    grade VARCHAR(60) NOT NULL DEFAULT '',
    location VARCHAR(120) NOT NULL DEFAULT '',
    views BIGINT NOT NULL DEFAULT 0,
    activations BIGINT NOT NULL DEFAULT 0,
    redemptions BIGINT NOT NULL DEFAULT 0,
    spend_minor BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (programme_id, day, partner_id, offer_id, country, business_unit, department, grade, location)
)""",
    # One partner's figures (offer drill-down, a partner's trend, days since its last redemption).
    "CREATE INDEX insight_daily_partner ON insight_daily (programme_id, partner_id, day)",
    # The same counts per day × partner only (offers and segments added up): what a dashboard without
    # a segment filter reads, a fraction of the rows (a year of 500 partners: 182,500).
    """CREATE TABLE insight_partner_daily (
    programme_id UUID NOT NULL,
    day DATE NOT NULL,
    partner_id UUID NOT NULL,
    views BIGINT NOT NULL DEFAULT 0,
    activations BIGINT NOT NULL DEFAULT 0,
    redemptions BIGINT NOT NULL DEFAULT 0,
    spend_minor BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (programme_id, day, partner_id)
)""",
    "CREATE INDEX insight_partner_daily_partner ON insight_partner_daily (programme_id, partner_id, day)",
    """CREATE TABLE fx_rates (
    id UUID NOT NULL PRIMARY KEY,
    day DATE NOT NULL,
    base VARCHAR(3) NOT NULL,
    quote VARCHAR(3) NOT NULL,
    rate VARCHAR(40) NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    note TEXT NOT NULL DEFAULT ''
)""",
    "CREATE UNIQUE INDEX fx_rates_pair_day ON fx_rates (base, quote, day)",
]


async def forwards():
    return ddl_migration(ID, "insights", DESCRIPTION, _STATEMENTS, sqlite=_SQLITE, postgres=_POSTGRES)
