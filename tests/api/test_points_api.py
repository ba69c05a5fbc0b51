"""The points API over real HTTP, through the documented operations in graphql/operations: the
two-phase flow, timeouts, refusals that change nothing, idempotency, scopes, the transaction log."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from backend.core.clock import utcnow
from backend.ledger import services as ledger
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
BALANCE_FIELDS = "available pending posted"


def documented(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


class Points:
    """An integrator's calls for one recipient's wallet, with the documented operations."""

    def __init__(self, api, key: str, programme_id: str, external_id: str = "EMP-1001"):
        self.api, self.key, self.programme_id, self.external_id = api, key, programme_id, external_id

    async def run(self, name: str, variables: dict, key: str | None = None) -> dict:
        data = await self.api.data(documented(name), variables, key=key or self.key, operation_name=name)
        (result,) = data.values()
        return result

    def owner(self) -> dict:
        return {"programmeId": self.programme_id, "recipientExternalId": self.external_id}

    async def credit(self, amount: int, idempotency_key: str, **fields) -> dict:
        return await self.run(
            "CreditPoints", {"input": {**self.owner(), "amount": amount, "idempotencyKey": idempotency_key, **fields}}
        )

    async def reserve(self, amount: int, idempotency_key: str, key: str | None = None, **fields) -> dict:
        variables = {
            "input": {**self.owner(), "amount": amount, "source": "MARKETPLACE", "idempotencyKey": idempotency_key, **fields}
        }
        return await self.run("ReservePoints", variables, key)

    async def confirm(self, reservation_id: str, idempotency_key: str, **fields) -> dict:
        return await self.run(
            "ConfirmReservation", {"input": {"reservationId": reservation_id, "idempotencyKey": idempotency_key, **fields}}
        )

    async def release(self, reservation_id: str, idempotency_key: str, reason: str = "basket abandoned") -> dict:
        return await self.run(
            "ReleaseReservation",
            {"input": {"reservationId": reservation_id, "reason": reason, "idempotencyKey": idempotency_key}},
        )

    async def reverse(self, idempotency_key: str, **fields) -> dict:
        return await self.run(
            "ReverseRedemption", {"input": {"reason": "item returned", "idempotencyKey": idempotency_key, **fields}}
        )

    async def balance(self) -> dict:
        found = await self.run("PointsBalance", self.owner())
        return {name: found[name] for name in BALANCE_FIELDS.split()}

    async def reservation(self, reservation_id: str) -> dict:
        return await self.run("PointsReservation", {"id": reservation_id})

    async def transactions(self, first: int = 100, after: str | None = None, **filters) -> dict:
        return await self.run("PointsTransactions", {**self.owner(), "first": first, "after": after, "filter": filters or None})


def balance(available: int, pending: int = 0, posted: int | None = None) -> dict:
    return {"available": available, "pending": pending, "posted": available + pending if posted is None else posted}


@pytest.fixture
async def programme_id(admin) -> str:
    programme = await recipients.create_programme(admin, "Sales stars", "INR", "0.25")
    for external_id, name in (("EMP-1001", "Asha Rao"), ("EMP-1002", "Ravi Kumar")):
        await recipients.upsert_recipient(
            admin, RecipientInput(external_id=external_id, full_name=name, email=f"{external_id}@example.com")
        )
    return str(programme.id)


@pytest.fixture
async def points(api, key, programme_id) -> Points:
    """EMP-1001 with 1,000 points, credited through the API."""
    points = Points(api, key, programme_id)
    credited = await points.credit(1000, "welcome-bonus", source="CAMPAIGN")
    assert credited["errors"] == [] and credited["balance"] == balance(1000)
    return points


async def test_reserve_then_confirm_spends_the_points(points):
    reserved = await points.reserve(300, "reserve-1", reference="basket-1", timeoutSeconds=600)
    assert reserved["errors"] == []
    reservation = reserved["reservation"]
    assert (reservation["status"], reservation["amount"]) == ("PENDING", 300)
    assert reserved["balance"] == balance(700, pending=300) == await points.balance()

    confirmed = await points.confirm(reservation["id"], "confirm-1")
    assert confirmed["errors"] == []
    assert confirmed["reservation"] == {"id": reservation["id"], "status": "POSTED", "postedAmount": 300, "releasedAmount": 0}
    assert (confirmed["transfer"]["phase"], confirmed["transfer"]["amount"]) == ("POST", 300)
    assert confirmed["balance"] == balance(700) == await points.balance()
    assert (await points.reservation(reservation["id"]))["status"] == "POSTED"


async def test_a_partial_confirm_releases_the_rest(points):
    reservation = (await points.reserve(300, "reserve-1"))["reservation"]
    confirmed = await points.confirm(reservation["id"], "confirm-1", amount=120, reference="order-9")
    assert confirmed["errors"] == []
    assert (confirmed["reservation"]["postedAmount"], confirmed["reservation"]["releasedAmount"]) == (120, 180)
    assert await points.balance() == balance(880)
    redemption = (await points.transactions(status="POSTED", kind="REDEEM"))["edges"]
    assert [(e["node"]["phase"], e["node"]["amount"], e["node"]["reference"]) for e in redemption] == [
        ("POST", 120, "order-9"),
        ("PENDING", 300, None),
    ]


async def test_release_gives_the_points_back_and_then_nothing_more_can_happen(points):
    reservation = (await points.reserve(300, "reserve-1"))["reservation"]
    released = await points.release(reservation["id"], "release-1")
    assert released["errors"] == []
    assert released["reservation"] == {"id": reservation["id"], "status": "VOIDED", "releasedAmount": 300}
    assert released["balance"] == balance(1000) == await points.balance()

    late = await points.confirm(reservation["id"], "confirm-1")
    assert [(e["field"], e["code"]) for e in late["errors"]] == [("reservationId", "RESERVATION_NOT_PENDING")]
    assert late["reservation"] is None and late["balance"] is None
    assert await points.balance() == balance(1000)


async def test_after_its_timeout_a_reservation_cannot_be_confirmed_and_the_sweep_releases_it(points):
    reservation = (await points.reserve(300, "reserve-1", timeoutSeconds=1))["reservation"]
    await asyncio.sleep(1.2)
    late = await points.confirm(reservation["id"], "confirm-1")
    assert [e["code"] for e in late["errors"]] == ["RESERVATION_EXPIRED"]
    assert await points.balance() == balance(700, pending=300)  # nothing changed: the hold waits for the sweep

    assert await ledger.expire_due() == 1  # the worker's sweep
    assert (await points.reservation(reservation["id"]))["status"] == "EXPIRED"
    assert await points.balance() == balance(1000)
    assert [e["code"] for e in (await points.release(reservation["id"], "release-1"))["errors"]] == ["RESERVATION_EXPIRED"]


async def test_an_overdraft_is_refused_and_changes_nothing(points):
    before = await points.transactions()
    refused = await points.reserve(1001, "reserve-too-much")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("amount", "INSUFFICIENT_POINTS")]
    assert "1,000 points available" in refused["errors"][0]["message"]
    assert refused["reservation"] is None
    assert await points.balance() == balance(1000)
    assert await points.transactions() == before
    # The same key may be used again once the cause is fixed: a refusal stores nothing.
    assert (await points.reserve(1000, "reserve-too-much"))["errors"] == []


async def test_a_replay_returns_the_first_result_and_moves_points_once(points):
    first = await points.reserve(300, "reserve-1", reference="basket-1")
    again = await points.reserve(300, "reserve-1", reference="basket-1")
    assert again == first
    assert await points.balance() == balance(700, pending=300)

    confirmed = await points.confirm(first["reservation"]["id"], "confirm-1")
    assert await points.confirm(first["reservation"]["id"], "confirm-1") == confirmed  # not RESERVATION_NOT_PENDING
    assert await points.balance() == balance(700)


async def test_concurrent_calls_with_one_key_make_one_reservation(points):
    results = await asyncio.gather(*(points.reserve(100, "double-click") for _ in range(5)))
    assert all(result["errors"] == [] for result in results)
    assert len({result["reservation"]["id"] for result in results}) == 1
    assert await points.balance() == balance(900, pending=100)


async def test_the_same_key_with_another_request_is_a_conflict_and_changes_nothing(points):
    first = await points.reserve(300, "reserve-1")
    conflict = await points.reserve(301, "reserve-1")
    assert [(e["field"], e["code"]) for e in conflict["errors"]] == [("idempotencyKey", "IDEMPOTENCY_CONFLICT")]
    assert conflict["reservation"] is None
    assert await points.balance() == balance(700, pending=300)
    assert (await points.reservation(first["reservation"]["id"]))["amount"] == 300


async def test_keys_are_per_api_key(points, make_key):
    other = await make_key("points:write", "points:read", "recipients:read", name="marketplace")
    mine = await points.reserve(100, "shared-key")
    theirs = await points.reserve(100, "shared-key", key=other)
    assert theirs["errors"] == [] and theirs["reservation"]["id"] != mine["reservation"]["id"]
    assert await points.balance() == balance(800, pending=200)


async def test_without_the_write_scope_a_mutation_is_refused_in_its_payload_and_changes_nothing(points, make_key):
    reader = await make_key("points:read", "recipients:read", name="reporting")
    refused = await points.reserve(100, "reserve-1", key=reader)
    assert refused["reservation"] is None
    [error] = refused["errors"]
    assert (error["field"], error["code"]) == (None, "FORBIDDEN") and "points:write" in error["message"]
    assert await points.balance() == balance(1000)
    assert (await points.transactions())["totalCount"] == 1


async def test_without_the_read_scope_a_query_is_a_forbidden_error(points, make_key, api, programme_id):
    writer = await make_key("points:write", name="writer only")
    [error] = await api.errors(documented("PointsBalance"), points.owner(), key=writer)
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "points:read"}


async def test_an_external_id_needs_the_recipients_read_scope_too(points, make_key):
    points_only = await make_key("points:write", "points:read", name="loyalty platform")
    refused = await points.reserve(100, "reserve-1", key=points_only)
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"] and "recipients:read" in refused["errors"][0]["message"]
    recipient_id = (await points.run("PointsBalance", points.owner()))["recipientId"]
    by_id = {
        "programmeId": points.programme_id,
        "recipientId": recipient_id,
        "amount": 100,
        "source": "LOYALTY_PLATFORM",
        "idempotencyKey": "reserve-1",
    }
    assert (await points.run("ReservePoints", {"input": by_id}, points_only))["errors"] == []


async def test_input_errors_name_the_input_field(points):
    unknown = await points.reserve(10, "r-1", recipientExternalId="NOBODY")
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("recipientExternalId", "RECIPIENT_NOT_FOUND")]
    too_long = await points.reserve(10, "r-2", timeoutSeconds=8 * 24 * 3600)
    assert [(e["field"], e["code"]) for e in too_long["errors"]] == [("timeoutSeconds", "TIMEOUT_INVALID")]
    negative = await points.credit(-5, "c-1")
    assert [(e["field"], e["code"]) for e in negative["errors"]] == [("amount", "AMOUNT_INVALID")]
    not_an_id = await points.confirm("nope", "c-2")
    assert [(e["field"], e["code"]) for e in not_an_id["errors"]] == [("reservationId", "RESERVATION_NOT_FOUND")]
    assert await points.balance() == balance(1000)


async def test_points_are_whole_numbers_in_the_schema(points, api):
    for amount in (1.5, "10", True):
        variables = {"input": {**points.owner(), "amount": amount, "source": "MARKETPLACE", "idempotencyKey": "r-1"}}
        [error] = await api.errors(documented("ReservePoints"), variables, key=points.key)
        assert "Points" in error["message"]
    assert await points.balance() == balance(1000)


async def test_a_reversal_refunds_part_of_a_redemption_and_never_more_than_was_spent(points):
    reservation = (await points.reserve(300, "reserve-1"))["reservation"]
    post = (await points.confirm(reservation["id"], "confirm-1"))["transfer"]
    refund = await points.reverse("refund-1", reservationId=reservation["id"], amount=100)
    assert refund["errors"] == []
    assert (refund["transfer"]["kind"], refund["transfer"]["amount"], refund["transfer"]["reversesId"]) == (
        "REVERSE",
        100,
        post["id"],
    )
    assert refund["balance"] == balance(800)

    too_much = await points.reverse("refund-2", transferId=post["id"], amount=201)
    assert [(e["field"], e["code"]) for e in too_much["errors"]] == [("amount", "NOT_REVERSIBLE")]
    rest = await points.reverse("refund-3", transferId=post["id"])
    assert (rest["errors"], rest["transfer"]["amount"], rest["balance"]) == ([], 200, balance(1000))
    assert (await points.reservation(reservation["id"]))["reversedAmount"] == 300


async def test_the_transaction_log_pages_newest_first_and_filters(points, admin):
    for number in range(3):
        reservation = (await points.reserve(10, f"reserve-{number}"))["reservation"]
        await points.confirm(reservation["id"], f"confirm-{number}")
    abandoned = (await points.reserve(20, "reserve-abandoned", source="LOYALTY_PLATFORM"))["reservation"]
    await points.release(abandoned["id"], "release-abandoned")
    await points.reserve(30, "reserve-open")
    # 1 credit + 3 × (hold, post) + (hold, void) + 1 hold = 10 lines

    seen, after = [], None
    while True:
        page = await points.transactions(first=3, after=after)
        assert page["totalCount"] == 10
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 10 and len({node["id"] for node in seen}) == 10
    assert [node["createdAt"] for node in seen] == sorted((node["createdAt"] for node in seen), reverse=True)
    assert (seen[0]["amount"], seen[0]["status"]) == (30, "PENDING") and seen[-1]["kind"] == "EARN"

    def summary(page: dict) -> list[tuple]:
        return [(e["node"]["kind"], e["node"]["phase"], e["node"]["amount"]) for e in page["edges"]]

    assert summary(await points.transactions(source="LOYALTY_PLATFORM")) == [("REDEEM", "VOID", 20), ("REDEEM", "PENDING", 20)]
    assert summary(await points.transactions(status="VOIDED")) == [("REDEEM", "VOID", 20), ("REDEEM", "PENDING", 20)]
    assert summary(await points.transactions(kind="EARN")) == [("EARN", "SINGLE", 1000)]
    filtered = await points.transactions(source="MARKETPLACE", status="POSTED", first=2)
    assert (filtered["totalCount"], len(filtered["edges"]), filtered["pageInfo"]["hasNextPage"]) == (6, 2, True)
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    assert (await points.transactions(since=tomorrow))["edges"] == []
    assert len((await points.transactions(until=tomorrow))["edges"]) == 10


async def test_a_foreign_cursor_is_refused(points, api):
    [error] = await api.errors(
        documented("PointsTransactions"), {**points.owner(), "first": 5, "after": "bm9wZTox"}, key=points.key
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "pointsTransactions" in error["message"]


async def test_a_reservation_may_name_the_offer_it_pays_for_and_its_confirmation_is_a_redemption(points, admin):
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))
    from catalogue_steps import TERMS, offer_input, profile

    from backend.catalog.services import offers
    from backend.core import sql
    from backend.partners.services import profiles

    partner = await profiles.create_partner(admin, profile(name="Chai Point"))
    offer = await offers.create_offer(admin, partner.id, offer_input(title="Chai 1"), terms=TERMS)
    unknown = "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
    for bad in (unknown, "not-an-id"):
        refused = await points.reserve(300, f"reserve-{bad}", offerId=bad)
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [("offerId", "OFFER_NOT_FOUND")]
        assert refused["reservation"] is None
    assert await points.balance() == balance(1000)

    reserved = await points.reserve(300, "reserve-1", offerId=str(offer.id))
    assert reserved["errors"] == [] and reserved["reservation"]["offerId"] == str(offer.id)
    wrong = await points.confirm(reserved["reservation"]["id"], "confirm-0", offerId=unknown)
    assert [(e["field"], e["code"]) for e in wrong["errors"]] == [("offerId", "OFFER_NOT_FOUND")]
    assert await points.balance() == balance(700, pending=300)
    assert (await points.confirm(reserved["reservation"]["id"], "confirm-1"))["errors"] == []
    [row] = await sql.fetch("SELECT payload FROM outbox_events WHERE topic = 'ledger.points_redeemed'")
    assert str(offer.id) in str(row["payload"])
