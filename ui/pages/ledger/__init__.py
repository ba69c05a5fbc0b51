"""The console's ledger pages: Points (a recipient's wallet) and Approvals (maker-checker)."""

from __future__ import annotations

import uuid

from backend.core.errors import NotFound
from backend.recipients import services as recipients
from ui import navigation
from ui.auth import console_page
from ui.pages.ledger.approvals import approvals_page
from ui.pages.ledger.finder import finder_page
from ui.pages.ledger.wallet import wallet_page
from ui.session import signed_in


async def points_page(recipient: str | None = None, programme: str | None = None, search: str | None = None) -> None:
    """``/points``: the wallet finder; ``/points?recipient=…[&programme=…]``: that wallet."""
    actor = signed_in().actor
    if not recipient:
        await finder_page(search)
        return
    try:
        person = await recipients.get_recipient(actor, recipient_id=uuid.UUID(recipient))
    except (ValueError, NotFound):
        await finder_page(search, not_found=recipient)
        return
    await wallet_page(actor, person, programme)


def register() -> None:
    console_page(navigation.POINTS)(points_page)
    console_page(navigation.APPROVALS)(approvals_page)
