"""What the console lists: imports newest first, and one import's rows, by what the review decided."""

from __future__ import annotations

import uuid
from datetime import timedelta

from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.views import Page
from backend.recipients.imports.receiving import _VIEW_COLUMNS, load_import
from backend.recipients.imports.tables import RecipientImport, RecipientImportRow
from backend.recipients.imports.views import APPLYING, CHECKING, ImportView, import_row_view, import_view


async def get_import(actor: Actor, import_id: uuid.UUID) -> ImportView:
    actor.require(Permission.RECIPIENTS_READ)
    return await load_import(import_id)


async def list_imports(actor: Actor, offset: int = 0, limit: int = 50) -> Page:
    actor.require(Permission.RECIPIENTS_READ)
    rows = await RecipientImport.select(*_VIEW_COLUMNS).order_by(RecipientImport.id, ascending=False).offset(offset).limit(limit)
    total = await RecipientImport.count()
    return Page(rows=[import_view(row) for row in rows], total=total)


async def import_rows(actor: Actor, import_id: uuid.UUID, action: str | None = None, offset: int = 0, limit: int = 50) -> Page:
    """The rows of an import in file order; ``action`` keeps one kind (create, update, unchanged, rejected)."""
    actor.require(Permission.RECIPIENTS_READ)
    where = RecipientImportRow.import_id == import_id
    if action:
        where &= RecipientImportRow.action == action
    rows = (
        await RecipientImportRow.select(*[c for c in RecipientImportRow._meta.columns if c._meta.name not in ("id", "import_id")])
        .where(where)
        .order_by(RecipientImportRow.row_number)
        .offset(offset)
        .limit(limit)
    )
    total = await RecipientImportRow.count().where(where)
    return Page(rows=[import_row_view(row) for row in rows], total=total)


async def stalled_imports(after: timedelta) -> list[ImportView]:
    """Imports checking or applying whose progress has not moved for ``after`` (their job was lost)."""
    rows = await RecipientImport.select(*_VIEW_COLUMNS).where(
        RecipientImport.status.is_in([CHECKING, APPLYING]) & (RecipientImport.updated_at < utcnow() - after)
    )
    return [import_view(row) for row in rows]
