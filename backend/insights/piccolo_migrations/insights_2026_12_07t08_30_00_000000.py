"""The monthly roll-ups beside the daily ones: ``insight_monthly`` (month × partner × offer × segment)
and ``insight_partner_monthly`` (month × partner), ``month`` being the month's first day. A
dashboard's period reads its whole months from them and only its edge days from the daily tables:
a year is 12 rows a cell instead of 365. Both filled from the daily roll-ups already kept.

This ID sorts before the migration that creates the daily tables (18:00:00, the same day): on a
fresh database it runs first and there is nothing to copy yet, so the copy is made only when
``insight_daily`` exists (a database migrated before this one)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-07T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "monthly roll-ups (cells and partners) beside the daily ones, filled from them"

_COUNTS = """
    views BIGINT NOT NULL DEFAULT 0,
    activations BIGINT NOT NULL DEFAULT 0,
    redemptions BIGINT NOT NULL DEFAULT 0,
    spend_minor BIGINT NOT NULL DEFAULT 0"""

_TABLES = [
    f"""CREATE TABLE insight_monthly (
    programme_id UUID NOT NULL,
    month DATE NOT NULL,
    partner_id UUID NOT NULL,
    offer_id UUID NOT NULL,
    country VARCHAR(2) NOT NULL DEFAULT '',
    business_unit VARCHAR(120) NOT NULL DEFAULT '',
    department VARCHAR(120) NOT NULL DEFAULT '',
    grade VARCHAR(60) NOT NULL DEFAULT '',
    location VARCHAR(120) NOT NULL DEFAULT '',{_COUNTS},
    PRIMARY KEY (programme_id, month, partner_id, offer_id, country, business_unit, department, grade, location)
)""",
    # The primary keys lead with (programme_id, month): a programme's months of a period; these
    # serve one partner's (offer drill-down, a partner's trend).
    "CREATE INDEX insight_monthly_partner ON insight_monthly (programme_id, partner_id, month)",
    f"""CREATE TABLE insight_partner_monthly (
    programme_id UUID NOT NULL,
    month DATE NOT NULL,
    partner_id UUID NOT NULL,{_COUNTS},
    PRIMARY KEY (programme_id, month, partner_id)
)""",
    "CREATE INDEX insight_partner_monthly_partner ON insight_partner_monthly (programme_id, partner_id, month)",
]

_CELL = "programme_id, {month}, partner_id, offer_id, country, business_unit, department, grade, location"
_SUMS = "SUM(views), SUM(activations), SUM(redemptions), SUM(spend_minor)"
_COPY = [
    f"INSERT INTO insight_monthly ({_CELL.format(month='month')}, views, activations, redemptions, spend_minor) "
    f"SELECT {_CELL}, {_SUMS} FROM insight_daily GROUP BY {_CELL}",
    "INSERT INTO insight_partner_monthly (programme_id, month, partner_id, views, activations, redemptions, spend_minor) "
    f"SELECT programme_id, month, partner_id, {_SUMS} FROM insight_monthly GROUP BY programme_id, month, partner_id",
]
_MONTH_OF_DAY = {"sqlite": "date(day, 'start of month')", "postgres": "CAST(date_trunc('month', day) AS DATE)"}
_DAILY_EXISTS = {
    "sqlite": "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'insight_daily'",
    "postgres": "SELECT COUNT(*) AS n FROM pg_class WHERE relname = 'insight_daily' AND relkind IN ('r', 'p')",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        kind = "sqlite" if engine.engine_type == "sqlite" else "postgres"
        for statement in _TABLES:
            await engine.run_ddl(statement)
        [found] = await engine.run_ddl(_DAILY_EXISTS[kind])
        if found["n"]:
            month = _MONTH_OF_DAY[kind]
            for statement in _COPY:
                await engine.run_ddl(statement.replace("{month}", month))

    manager.add_raw(run)
    return manager
