"""A wallet's pending holds: points reserved by a purchase not yet confirmed or released, and when
each times out (the integrator confirms or releases them; the worker's sweep releases late ones)."""

from __future__ import annotations

from backend.core.authz import Actor
from backend.core.clock import utcnow
from backend.ledger import services as ledger
from backend.ledger.kinds import ReservationStatus
from backend.ledger.views import Balance, ReservationView
from ui.components.display import EMPTY, when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.ledger.words import SOURCES

COLUMNS = [
    Column("created_at", "Held since"),
    Column("amount", "Points", align="right"),
    Column("source", "Source"),
    Column("reference", "Reference"),
    Column("timeout_at", "Times out"),
    Column("id", "Reservation"),
]
# Open holds of one wallet are few (each lasts minutes); past this many the list says so.
MAX_HOLDS = 200


def _times_out(reservation: ReservationView) -> str:
    left = (reservation.timeout_at - utcnow()).total_seconds()
    if left < 0:
        return f"{when(reservation.timeout_at)} (overdue: released at the next sweep)"
    hours, minutes = divmod(int(left // 60), 60)
    return f"{when(reservation.timeout_at)} (in {f'{hours} h ' if hours else ''}{minutes} min)"


def _row(reservation: ReservationView) -> dict:
    return {
        "id": str(reservation.id),
        "created_at": when(reservation.created_at),
        "amount": f"{reservation.amount:,}",
        "source": SOURCES[reservation.source],
        "reference": reservation.reference or EMPTY,
        "timeout_at": _times_out(reservation),
    }


def holds_table(balance: Balance) -> PagedTable:
    wallet_id = balance.wallet_id

    async def fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await ledger.list_reservations(actor, wallet_id, status=ReservationStatus.PENDING, limit=MAX_HOLDS)
        holds = page.reservations
        return [_row(hold) for hold in holds[request.offset : request.offset + request.limit]], len(holds)

    return PagedTable(COLUMNS, fetch, marker="holds-table", empty_text="No points are on hold", rows_per_page=10)
