"""A closed review is immutable in the database too, whatever writes to it: its row no longer
changes, no line or decision is added to it; lines and decisions are never updated or deleted, and
reviews never deleted. The services refuse first, in words (REVIEW_CLOSED); these are the floor."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T19:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "closed partner reviews immutable; lines and decisions append-only"

_CLOSED = "a closed partner review cannot change"
_RECORD = "partner review records are append-only"
_SQLITE = [
    f"""CREATE TRIGGER partner_reviews_closed_no_update BEFORE UPDATE ON partner_reviews WHEN OLD.status = 'closed'
       BEGIN SELECT RAISE(ABORT, '{_CLOSED}'); END""",
    f"""CREATE TRIGGER partner_reviews_no_delete BEFORE DELETE ON partner_reviews
       BEGIN SELECT RAISE(ABORT, '{_RECORD}'); END""",
    *(
        statement
        for table in ("partner_review_lines", "partner_review_decisions")
        for statement in (
            f"""CREATE TRIGGER {table}_closed_no_insert BEFORE INSERT ON {table}
               WHEN (SELECT status FROM partner_reviews WHERE id = NEW.review) = 'closed'
               BEGIN SELECT RAISE(ABORT, '{_CLOSED}'); END""",
            f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{_RECORD}'); END""",
            f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{_RECORD}'); END""",
        )
    ),
]
_POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION partner_review_refuse_closed() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '{_CLOSED}'; END; $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION partner_review_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '{_RECORD}'; END; $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION partner_review_refuse_closed_insert() RETURNS trigger AS $$
       BEGIN
         IF (SELECT status FROM partner_reviews WHERE id = NEW.review) = 'closed' THEN RAISE EXCEPTION '{_CLOSED}'; END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER partner_reviews_closed_no_update BEFORE UPDATE ON partner_reviews
       FOR EACH ROW WHEN (OLD.status = 'closed') EXECUTE FUNCTION partner_review_refuse_closed()""",
    """CREATE TRIGGER partner_reviews_no_delete BEFORE DELETE ON partner_reviews
       FOR EACH ROW EXECUTE FUNCTION partner_review_refuse_change()""",
    *(
        statement
        for table in ("partner_review_lines", "partner_review_decisions")
        for statement in (
            f"""CREATE TRIGGER {table}_closed_no_insert BEFORE INSERT ON {table}
               FOR EACH ROW EXECUTE FUNCTION partner_review_refuse_closed_insert()""",
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
               FOR EACH ROW EXECUTE FUNCTION partner_review_refuse_change()""",
        )
    ),
]


async def forwards():
    return ddl_migration(ID, "insight_reviews", DESCRIPTION, [], sqlite=_SQLITE, postgres=_POSTGRES)
