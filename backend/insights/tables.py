"""Insights' tables. The migration writes them by hand: on PostgreSQL ``insight_events`` is
partitioned by month (``backend.insights.partitions``), which Piccolo's columns cannot say."""

from piccolo.columns import UUID, BigInt, Date, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class InsightEvent(Table, tablename="insight_events"):
    """One performance fact, append-only. Segment fields hold '' when the recipient had none."""

    id = UUID(primary_key=True, default=UUID7Default())
    kind = Varchar(length=16)  # viewed | activated | redeemed | spend | reversed
    occurred_at = Timestamptz()
    recorded_at = Timestamptz()
    programme_id = UUID()
    partner_id = UUID(null=True, default=None)
    offer_id = UUID(null=True, default=None)
    campaign_id = UUID(null=True, default=None)
    recipient_id = UUID(null=True, default=None)
    issuance_id = UUID(null=True, default=None)
    country = Varchar(length=2, default="")
    business_unit = Varchar(length=120, default="")
    department = Varchar(length=120, default="")
    grade = Varchar(length=60, default="")
    location = Varchar(length=120, default="")
    value_minor = BigInt(null=True, default=None)
    currency = Varchar(length=3, null=True, default=None)
    programme_value_minor = BigInt(null=True, default=None)  # value_minor at the day's fx rate
    source = Varchar(length=32)
    source_ref = Varchar(length=200)


class InsightEventKey(Table, tablename="insight_event_keys"):
    """(kind, source, source_ref) once: a replayed fact records nothing twice. Its own table because
    a unique index on a partitioned table must include the partition key (occurred_at)."""

    # The primary key is (kind, source, source_ref), declared by the migration.
    kind = Varchar(length=16, primary_key=True)
    source = Varchar(length=32)
    source_ref = Varchar(length=200)
    event_id = UUID()


class InsightDaily(Table, tablename="insight_daily"):
    """The roll-up: per day × partner × offer × segment, spend in the programme's currency. Its
    primary key is the cell (programme_id, day, partner_id, offer_id and the five segment fields),
    declared by the migration."""

    programme_id = UUID(primary_key=True)
    day = Date()
    partner_id = UUID()
    offer_id = UUID()
    country = Varchar(length=2, default="")
    business_unit = Varchar(length=120, default="")
    department = Varchar(length=120, default="")
    grade = Varchar(length=60, default="")
    location = Varchar(length=120, default="")
    views = BigInt(default=0)
    activations = BigInt(default=0)
    redemptions = BigInt(default=0)
    spend_minor = BigInt(default=0)


class InsightPartnerDaily(Table, tablename="insight_partner_daily"):
    """``insight_daily`` added up per day × partner (offers and segments together): what the
    dashboards read when no segment filter is set. Primary key (programme_id, day, partner_id)."""

    programme_id = UUID(primary_key=True)
    day = Date()
    partner_id = UUID()
    views = BigInt(default=0)
    activations = BigInt(default=0)
    redemptions = BigInt(default=0)
    spend_minor = BigInt(default=0)


class InsightMonthly(Table, tablename="insight_monthly"):
    """``insight_daily`` per month (``month``: its first day), cell for cell: a period's whole months
    are read here, its edge days from the daily roll-up. Primary key (programme_id, month, partner_id,
    offer_id and the five segment fields), declared by the migration."""

    programme_id = UUID(primary_key=True)
    month = Date()
    partner_id = UUID()
    offer_id = UUID()
    country = Varchar(length=2, default="")
    business_unit = Varchar(length=120, default="")
    department = Varchar(length=120, default="")
    grade = Varchar(length=60, default="")
    location = Varchar(length=120, default="")
    views = BigInt(default=0)
    activations = BigInt(default=0)
    redemptions = BigInt(default=0)
    spend_minor = BigInt(default=0)


class InsightPartnerMonthly(Table, tablename="insight_partner_monthly"):
    """``insight_partner_daily`` per month. Primary key (programme_id, month, partner_id)."""

    programme_id = UUID(primary_key=True)
    month = Date()
    partner_id = UUID()
    views = BigInt(default=0)
    activations = BigInt(default=0)
    redemptions = BigInt(default=0)
    spend_minor = BigInt(default=0)


class FxRate(Table, tablename="fx_rates"):
    """How many units of ``quote`` one unit of ``base`` bought on ``day``; spend converts at the
    latest rate on or before the event's day."""

    id = UUID(primary_key=True, default=UUID7Default())
    day = Date()
    base = Varchar(length=3)
    quote = Varchar(length=3)
    rate = Varchar(length=40)  # a Decimal as text: exact on both databases
    recorded_at = Timestamptz()
    note = Text(default="")
