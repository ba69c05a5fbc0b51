"""Allocation: one code never goes to two issuances."""

import asyncio
from datetime import timedelta

import pytest
from catalogue_steps import TERMS, offer_input, stock_file

from backend.catalog.services import allocation, offers, stock, stock_import
from backend.catalog.tables import VoucherCode
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.core.ids import new_id


async def live_offer_with_codes(admin, partner, codes: list[str], title="Stocked", **changes):
    offer = await offers.create_offer(admin, partner.id, offer_input(title=title, **changes), terms=TERMS)
    await stock_import.import_voucher_codes(admin, offer.id, stock_file(*codes), "codes.csv")
    return await offers.change_offer_status(admin, offer.id, "live")


async def refused(code: str, call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


async def test_allocate_confirm_and_reveal(admin, live):
    partner, _ = live
    later = (utcnow().date() + timedelta(days=300)).isoformat()
    sooner = (utcnow().date() + timedelta(days=30)).isoformat()
    offer = await live_offer_with_codes(
        admin, partner, [f"LATE-1,111,50000,{later}", "NEVER-1,222,50000,", f"SOON-1,333,50000,{sooner}"]
    )
    issuance = new_id()
    held = await allocation.allocate_code(admin, offer.id, 50000, issuance)
    assert (
        held.code_masked == "••••••••ON-1" and held.status == "allocated" and held.allocated_to == issuance
    )  # earliest expiry first
    assert (await allocation.allocate_code(admin, offer.id, 50000, issuance)).id == held.id  # a replay returns the same code
    await refused("ISSUANCE_HAS_CODE", allocation.allocate_code(admin, offer.id, 100000, issuance))
    confirmed = await allocation.confirm_allocation(admin, issuance)
    assert (
        confirmed.status == "confirmed"
        and (await allocation.confirm_allocation(admin, issuance)).confirmed_at == confirmed.confirmed_at
    )
    await refused("CODE_CONFIRMED", allocation.release_allocation(admin, issuance))
    revealed = await allocation.reveal_code(admin, issuance)
    assert (revealed.code, revealed.pin, revealed.denomination) == ("SOON-1", "333", 50000)
    actions = [entry["action"] for entry in await audit.entity_history(admin, "voucher_code", held.id)]
    assert actions == ["voucher_code.revealed", "voucher_code.confirmed", "voucher_code.allocated"]
    assert "SOON-1" not in str(await audit.entity_history(admin, "voucher_code", held.id))
    # next: the later-expiring code, then the one without expiry
    assert (await allocation.allocate_code(admin, offer.id, 50000, new_id())).code_masked.endswith("TE-1")
    assert (await allocation.allocate_code(admin, offer.id, 50000, new_id())).code_masked.endswith("ER-1")
    await refused("OUT_OF_STOCK", allocation.allocate_code(admin, offer.id, 50000, new_id()))


async def test_release_returns_the_code_to_stock(admin, live):
    partner, _ = live
    offer = await live_offer_with_codes(admin, partner, ["ONLY-1,1,50000,"])
    first, second = new_id(), new_id()
    held = await allocation.allocate_code(admin, offer.id, 50000, first)
    await refused("OUT_OF_STOCK", allocation.allocate_code(admin, offer.id, 50000, second))
    released = await allocation.release_allocation(admin, first)
    assert released.status == "available" and released.allocated_to is None
    assert await allocation.release_allocation(admin, first) is None  # a repeated release changes nothing
    assert (await allocation.allocate_code(admin, offer.id, 50000, second)).id == held.id
    await refused("NO_ALLOCATION", allocation.confirm_allocation(admin, first))


async def test_only_usable_codes_of_an_available_offer_are_allocated(admin, live, draft_offer):
    partner, _ = live
    await refused("OFFER_NOT_AVAILABLE", allocation.allocate_code(admin, draft_offer.id, 50000, new_id()))
    offer = await live_offer_with_codes(admin, partner, [f"OLD-1,1,50000,{(utcnow().date() + timedelta(days=2)).isoformat()}"])
    await refused("INVALID_DENOMINATION", allocation.allocate_code(admin, offer.id, 75000, new_id()))
    await VoucherCode.update({VoucherCode.expires_on: utcnow().date()}).where(VoucherCode.offer == offer.id)  # time passes
    await refused("OUT_OF_STOCK", allocation.allocate_code(admin, offer.id, 50000, new_id()))
    assert [(lvl.available, lvl.expired) for lvl in await stock.stock_levels(admin, offer.id)] == [(0, 1)]


async def test_low_stock_offers_are_listed_for_the_console(admin, live):
    partner, _ = live
    low = await live_offer_with_codes(admin, partner, ["L-1,1,50000,", "L-2,1,50000,"], title="Low", low_stock_threshold=2)
    await live_offer_with_codes(
        admin, partner, ["H-1,1,50000,", "H-2,1,50000,", "H-3,1,50000,"], title="Healthy", low_stock_threshold=2
    )
    await live_offer_with_codes(admin, partner, [], title="No threshold")
    alerts = await stock.low_stock_offers(admin)
    assert [(a.offer_id, a.title, a.available, a.threshold) for a in alerts] == [(low.id, "Low", 2, 2)]
    await allocation.allocate_code(admin, low.id, 50000, new_id())
    assert [a.available for a in await stock.low_stock_offers(admin)] == [1]


async def test_concurrent_allocations_never_share_a_code(admin, live, db):
    """200 issuances race for 50 codes: exactly 50 win, each with its own code."""
    partner, _ = live
    offer = await live_offer_with_codes(admin, partner, [f"RACE-{index:03},{index},50000," for index in range(50)], title="Race")
    issuances = [new_id() for _ in range(200 if db.kind == "postgres" else 60)]

    async def attempt(issuance):
        try:
            return await allocation.allocate_code(admin, offer.id, 50000, issuance)
        except DomainError as error:
            assert error.code == "OUT_OF_STOCK", error
            return None

    results = await asyncio.gather(*(attempt(issuance) for issuance in issuances))
    winners = [result for result in results if result is not None]
    assert len(winners) == 50 and len({code.id for code in winners}) == 50
    rows = await VoucherCode.select(VoucherCode.id, VoucherCode.allocated_to).where(VoucherCode.offer == offer.id)
    assert {row["id"]: row["allocated_to"] for row in rows} == {code.id: code.allocated_to for code in winners}


async def test_real_allocations_need_rewards_write_and_sandbox_ones_catalog_write(admin, live):
    from catalogue_steps import role_actor

    from backend.core.errors import PermissionDenied

    partner, _ = live
    offer = await live_offer_with_codes(admin, partner, ["PERM-0001,1,50000,"])
    partner_manager, viewer = role_actor("partner_manager"), role_actor("viewer")
    with pytest.raises(PermissionDenied):
        await allocation.allocate_code(partner_manager, offer.id, 50000, new_id())
    issuance = new_id()
    held = await allocation.allocate_code(partner_manager, offer.id, 50000, issuance, sandbox=True)
    assert held.sandbox
    with pytest.raises(PermissionDenied):
        await allocation.confirm_allocation(viewer, issuance)
    assert (await allocation.release_allocation(partner_manager, issuance)).status == "available"
