"""What Piccolo's columns cannot say: one threshold per (programme, category, metric), a flag
raised once (one open flag per threshold and partner), one review per programme and month (two
workers starting the same review make one), one line per partner, one mailing per address."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T19:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique thresholds, open flags, reviews per month, lines and mailings"

_STATEMENTS = [
    # COALESCE: a NULL category (every partner) is one value for uniqueness, on both databases.
    "CREATE UNIQUE INDEX performance_thresholds_one ON performance_thresholds (programme_id, COALESCE(category, ''), metric)",
    "CREATE UNIQUE INDEX partner_flags_one_open ON partner_flags (threshold_id, partner_id) WHERE cleared_at IS NULL",
    "CREATE INDEX partner_flags_open_by_programme ON partner_flags (programme_id, raised_at) WHERE cleared_at IS NULL",
    "CREATE UNIQUE INDEX partner_reviews_one_per_month ON partner_reviews (programme_id, month)",
    "CREATE UNIQUE INDEX partner_review_lines_one ON partner_review_lines (review, partner_id)",
    "CREATE UNIQUE INDEX partner_review_mailings_one ON partner_review_mailings (review, email)",
]


async def forwards():
    return ddl_migration(ID, "insight_reviews", DESCRIPTION, _STATEMENTS)
