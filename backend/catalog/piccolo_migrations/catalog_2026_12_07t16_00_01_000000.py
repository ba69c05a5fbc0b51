"""A code for every existing offer (made as ``offer_codes.suggested`` makes one, numbered when two
would share it), then the unique index on offers' codes."""

import json
from collections import Counter

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-07T16:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "offer codes for existing offers; unique index"

_OFFERS = """SELECT offers.id, offers.country, offers.currency, offers.denomination_kind, offers.denominations,
offers.min_amount, offers.max_amount, partners.name AS partner_name
FROM offers JOIN partners ON partners.id = offers.partner ORDER BY offers.id"""


async def _backfill():
    from backend.catalog.services.offer_codes import MAX_CODE, suggested
    from backend.core import sql

    used: Counter = Counter()
    for row in await sql.fetch(_OFFERS):
        values = dict(row)
        if isinstance(values["denominations"], str):
            values["denominations"] = json.loads(values["denominations"])
        base = suggested(values["partner_name"], values["country"], values["currency"], values)
        used[base] += 1
        code = base if used[base] == 1 else f"{base[: MAX_CODE - 4]}-{used[base]}"
        await sql.fetch("UPDATE offers SET code = $1 WHERE id = $2", code, values["id"])
    await engine_finder().run_ddl("CREATE UNIQUE INDEX offers_code ON offers (code)")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)
    manager.add_raw(_backfill)
    return manager
