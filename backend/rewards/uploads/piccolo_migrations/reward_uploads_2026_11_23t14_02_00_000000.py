"""What Piccolo's columns cannot say: a line appears once per upload; duplicates against earlier
uploads of a campaign are found through an index over valid rows; the next rows to issue are found
through a partial index that shrinks as issuance proceeds; a file chunk appears once."""

from backend.core.migrate import ddl_migration

ID = "2026-11-23T14:02:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique line per upload; duplicate and to-issue indexes; unique file chunk"

_STATEMENTS = [
    "CREATE UNIQUE INDEX reward_upload_rows_line ON reward_upload_rows (upload, line)",
    "CREATE INDEX reward_upload_rows_dedupe ON reward_upload_rows (campaign_id, dedupe_key) WHERE valid",
    "CREATE INDEX reward_upload_rows_to_issue ON reward_upload_rows (upload, line) WHERE valid AND outcome IS NULL",
    "CREATE INDEX reward_upload_rows_invalid ON reward_upload_rows (upload, line) WHERE NOT valid",
    "CREATE UNIQUE INDEX reward_upload_file_chunks_seq ON reward_upload_file_chunks (upload, seq)",
]


async def forwards():
    return ddl_migration(ID, "reward_uploads", DESCRIPTION, _STATEMENTS)
