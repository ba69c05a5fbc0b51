"""The recipients domain's public read model: the views other domains read recipients and
programmes through in their own SQL (a join or a sub-select in the same statement costs them no
round trip), instead of this domain's tables. Contact details stay out: they are read through
``backend.recipients.services``.

- ``recipient_directory``: id, external_id, status, country, preferred_channel, source_system,
  hr_attributes (json, as stored)
- ``programme_directory``: id, name, currency, point_value_micros, status

A change to the tables keeps these columns, their names and their meaning (drop and re-create a
view around a column change: PostgreSQL refuses to alter a column a view reads)."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T04:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "recipient_directory and programme_directory: the read model other domains use"

_BOTH = [
    """CREATE VIEW recipient_directory AS
       SELECT id, external_id, status, country, preferred_channel, source_system, hr_attributes FROM recipients""",
    "CREATE VIEW programme_directory AS SELECT id, name, currency, point_value_micros, status FROM programmes",
]


async def forwards():
    return ddl_migration(ID, "recipients", DESCRIPTION, _BOTH)
