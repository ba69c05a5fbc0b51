"""A segment of recipients named by an eligibility rule: how many there are (the preview) and who
they are (for a targeted message). Counted and listed in the database, with the rule compiled to
SQL by the same compiler as the eligibility preview, so the two never disagree."""

from __future__ import annotations

import uuid

from backend.catalog import eligibility
from backend.catalog.services.eligibility import recipient_condition
from backend.catalog.tables import Offer
from backend.core.authz import Actor, Permission


async def segment_recipient_ids(actor: Actor, rule_text: str) -> list[uuid.UUID]:
    """The active recipients the rule admits, by id. RuleError (INVALID_RULE) for a bad rule."""
    actor.require(Permission.CATALOG_READ)
    condition = recipient_condition(eligibility.parse(rule_text))
    rows = await Offer.raw(
        f"SELECT id FROM recipient_directory WHERE status = 'active' AND {condition.sql} ORDER BY id", *condition.params
    )
    return [row["id"] if isinstance(row["id"], uuid.UUID) else uuid.UUID(str(row["id"])) for row in rows]
