"""The Points and Approvals pages: find a wallet, read its balance and log (filters, server-side
paging, CSV export, a redemption's chain, pending holds), and maker-checker adjustments."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from nicegui.testing import User

from backend.access import services as access
from backend.core.authz import Actor
from backend.core.clock import utcnow
from backend.ledger import services as ledger
from backend.ledger.kinds import AdjustmentStatus
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
from ui.components import watch

PASSWORD = "a long enough password"


@dataclass(frozen=True)
class Wallet:
    programme_id: object
    recipient_id: object
    post_transfer_id: object

    @property
    def url(self) -> str:
        return f"/points?recipient={self.recipient_id}&programme={self.programme_id}"


@pytest.fixture
async def wallet(admin: Actor) -> Wallet:
    """Asha Rao in Sales stars: 1,000 earned, a redemption of 300 confirmed for 120 then 20 refunded,
    a released reservation from the loyalty platform, and a hold of 50 still open."""
    programme = await recipients.create_programme(admin, "Sales stars", "INR", "0.25")
    asha = (
        await recipients.upsert_recipient(
            admin, RecipientInput(external_id="EMP-1001", full_name="Asha Rao", email="asha@example.com")
        )
    ).recipient
    await recipients.upsert_recipient(
        admin, RecipientInput(external_id="EMP-1002", full_name="Ravi Kumar", email="ravi@example.com")
    )
    await ledger.earn(admin, programme.id, asha.id, 1000, source="campaign", reason="welcome bonus")
    bought = await ledger.reserve(admin, programme.id, asha.id, 300, source="marketplace", reference="basket-1")
    post = await ledger.confirm(admin, bought.reservation.id, 120, reference="order-1")
    await ledger.reverse(admin, post.transfer.id, 20, reason="item returned")
    abandoned = await ledger.reserve(admin, programme.id, asha.id, 70, source="loyalty_platform")
    await ledger.release(admin, abandoned.reservation.id, "basket abandoned")
    await ledger.reserve(admin, programme.id, asha.id, 50, source="loyalty_platform", reference="basket-2")
    return Wallet(programme.id, asha.id, post.transfer.id)


def label_of(user: User, marker: str) -> str:
    return next(iter(user.find(marker=marker).elements)).text


async def test_the_wallet_shows_its_balance_and_its_holds(console: User, wallet: Wallet, patience, table, eventually) -> None:
    await console.open(wallet.url)
    await console.should_see("Points of Asha Rao", retries=patience)
    # 1,000 − 120 spent + 20 refunded = 900 posted; 50 on hold
    assert (
        label_of(console, "balance-available-points"),
        label_of(console, "balance-pending-points"),
        label_of(console, "balance-posted-points"),
    ) == ("850", "50", "900")
    with console.scope(marker="balance-available"):
        await console.should_see("worth ₹212.50")
    console.find(marker="tab-holds").click()
    holds = table(console, "holds-table")
    await eventually(lambda: len(holds.rows) == 1)
    assert (holds.rows[0]["amount"], holds.rows[0]["source"], holds.rows[0]["reference"]) == (
        "50",
        "Loyalty platform",
        "basket-2",
    )
    assert "(in 14 min)" in holds.rows[0]["timeout_at"] or "(in 15 min)" in holds.rows[0]["timeout_at"]


@pytest.mark.parametrize(
    ("currency", "point_value", "worth"),
    [
        ("JPY", "0.25", "worth ¥213"),  # 850 × 0.25 = 212.5: no decimals in yen, the half rounds up
        ("KWD", "0.000125", "worth KWD\u00a00.106"),  # 0.10625: three decimals in dinars
    ],
)
async def test_a_points_worth_reads_in_its_currencys_minor_unit(
    console: User, admin, patience, currency, point_value, worth
) -> None:
    programme = await recipients.create_programme(admin, f"Stars {currency}", currency, point_value)
    kenji = (
        await recipients.upsert_recipient(
            admin, RecipientInput(external_id="EMP-2001", full_name="Kenji Sato", email="kenji@example.com")
        )
    ).recipient
    await ledger.earn(admin, programme.id, kenji.id, 850, source="campaign", reason="welcome bonus")
    await console.open(f"/points?recipient={kenji.id}&programme={programme.id}")
    with console.scope(marker="balance-available"):
        await console.should_see(worth, retries=patience)


async def test_find_a_wallet_by_external_id_and_from_the_recipient_page(
    console: User, wallet: Wallet, patience, table, eventually
) -> None:
    await console.open("/points")
    finder = table(console, "wallet-finder")
    await eventually(lambda: len(finder.rows) == 2)
    console.find(marker="filter-search").type("EMP-1001")
    await eventually(lambda: [row["full_name"] for row in finder.rows] == ["Asha Rao"])
    assert finder.rows[0]["href"] == f"/points?recipient={wallet.recipient_id}"

    await console.open(f"/recipients/{wallet.recipient_id}")
    console.find(marker="recipient-points").click()
    await console.should_see("Points of Asha Rao", retries=patience)


async def test_the_log_filters_on_the_server(console: User, wallet: Wallet, table, eventually) -> None:
    await console.open(wallet.url)
    log = table(console, "transactions-table")
    # earn, hold + post (partial) + reversal, hold + release, hold
    await eventually(lambda: log.pagination["rowsNumber"] == 7)
    assert [row["what"] for row in log.rows][:2] == ["Redemption: hold", "Redemption: released"]

    console.find(marker="filter-source").click()
    console.find("Loyalty platform").click()
    await eventually(lambda: log.pagination["rowsNumber"] == 3)
    assert {row["source"] for row in log.rows} == {"Loyalty platform"}

    console.find(marker="filter-status").click()
    console.find("Voided").click()
    await eventually(
        lambda: (
            [(row["what"], row["amount"]) for row in log.rows]
            == [("Redemption: released", "70 released"), ("Redemption: hold", "70 held")]
        )
    )

    console.find(marker="filter-source").clear()
    console.find(marker="filter-status").clear()
    console.find(marker="filter-kind").click()
    console.find("Reversal (refund)").click()
    await eventually(
        lambda: (
            [(row["what"], row["amount"], row["reason"]) for row in log.rows] == [("Reversal (refund)", "+20", "item returned")]
        )
    )

    console.find(marker="filter-kind").clear()
    console.find(marker="filter-since").type((utcnow() + timedelta(days=1)).date().isoformat())
    await eventually(lambda: log.pagination["rowsNumber"] == 0 and log.rows == [])


async def test_the_log_pages_on_the_server_forwards_backwards_and_by_jumps(
    console: User, admin, wallet: Wallet, table, eventually
) -> None:
    for number in range(60):
        await ledger.earn(admin, wallet.programme_id, wallet.recipient_id, number + 1, reference=f"bonus-{number}")
    await console.open(wallet.url)
    log = table(console, "transactions-table")
    await eventually(lambda: log.pagination["rowsNumber"] == 67 and len(log.rows) == 25)
    assert log.rows[0]["reference"] == "bonus-59"

    def request(page: int) -> None:
        console.find(marker="transactions-table").trigger(
            "request", {"page": page, "rowsPerPage": 25, "sortBy": None, "descending": False}
        )

    request(3)  # a jump: pages 1 and 2 are walked through on the server
    await eventually(lambda: log.pagination["page"] == 3 and len(log.rows) == 17)
    assert log.rows[0]["reference"] == "bonus-9" and log.rows[-1]["what"] == "Earned"
    request(2)
    await eventually(lambda: log.pagination["page"] == 2 and log.rows[0]["reference"] == "bonus-34")
    assert log.rows[-1]["reference"] == "bonus-10"


async def test_a_redemption_shows_its_chain(console: User, wallet: Wallet, patience, table, eventually) -> None:
    await console.open(wallet.url)
    log = table(console, "transactions-table")
    await eventually(lambda: any(row["what"] == "Redemption: confirmed" for row in log.rows))
    confirmed = next(row for row in log.rows if row["what"] == "Redemption: confirmed")
    assert confirmed["actions"] == ["chain"] and next(r for r in log.rows if r["what"] == "Earned")["actions"] == []
    console.find(marker="transactions-table").trigger("row_action", {"action": "chain", "key": confirmed["id"]})
    await console.should_see(marker="chain-dialog", retries=patience)
    assert label_of(console, "chain-summary") == "Points held 300, spent 120 (180 released), refunded 20."
    steps = [(row["what"], row["amount"]) for row in table(console, "chain-table").rows]
    assert steps == [("Redemption: hold", "300 held"), ("Redemption: confirmed", "−120"), ("Reversal (refund)", "+20")]


async def test_the_csv_export_is_the_filtered_log_with_formula_cells_escaped(
    console: User, admin, wallet: Wallet, patience, table, eventually
) -> None:
    await ledger.earn(
        admin, wallet.programme_id, wallet.recipient_id, 5, source="api", reason='=HYPERLINK("http://evil.example")'
    )
    await ledger.earn(admin, wallet.programme_id, wallet.recipient_id, 6, source="api", reason="@SUM(A1:A9)", reference="-1+1")
    await console.open(wallet.url)
    log = table(console, "transactions-table")
    source = next(iter(console.find(marker="filter-source").elements))
    source.set_value("api")  # (clicking the option "API" would find the navigation's "API keys" first)
    await eventually(lambda: log.pagination["rowsNumber"] == 2)

    console.find(marker="export-csv").click()
    response = await console.download.next(timeout=5)
    await console.should_see("Exported 2 transactions to points-emp-1001-sales-stars-", retries=patience)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["reason"], row["reference"], row["amount"], row["source"]) for row in rows] == [
        ("'@SUM(A1:A9)", "'-1+1", "6", "api"),
        ('\'=HYPERLINK("http://evil.example")', "", "5", "api"),
    ]


async def request_as(user: User, sign_in, email: str, wallet: Wallet, patience, amount: int, reason: str) -> None:
    await sign_in(email, PASSWORD, path=wallet.url)
    await user.should_see("Points of Asha Rao", retries=patience)
    user.find(marker="request-adjustment").click()
    await user.should_see(marker="adjustment-dialog", retries=patience)
    user.find("Credit (add points)").click()
    user.find(marker="adjustment-amount").type(str(amount))
    user.find(marker="adjustment-reason").type(reason)
    user.find(marker="send-adjustment").click()
    await user.should_see(
        f"Requested +{amount:,} points for Asha Rao: it waits for a second person's approval.", retries=patience
    )


async def test_an_adjustment_moves_points_only_once_a_second_person_approves(
    admin,
    user: User,
    sign_in,
    create_person,
    wallet: Wallet,
    patience,
    table,
    eventually,
) -> None:
    await create_person("maker@example.com", ["finance"])
    await create_person("checker@example.com", ["finance"])
    await request_as(user, sign_in, "maker@example.com", wallet, patience, 500, "goodwill for ticket T-1042")
    adjustments = table(user, "adjustments-table")
    await eventually(lambda: [row["status"] for row in adjustments.rows] == ["Pending"])
    assert (await ledger.balance(admin, wallet.programme_id, wallet.recipient_id)).available == 850

    # The maker cannot approve their own request: it is not offered, and refused when asked for anyway.
    await user.open("/approvals")
    queue = table(user, "approvals-table")
    await eventually(lambda: len(queue.rows) == 1)
    [own] = queue.rows
    # Approve is disabled with the reason in words; the maker's own action is Withdraw, not Reject.
    assert (own["actions"], own["disabled"], own["action_note"]) == (
        ["approve", "withdraw"],
        ["approve"],
        "You requested this; another admin must approve.",
    )
    assert own["requested_by"].endswith("(you)")
    user.find(marker="approvals-table").trigger("row_action", {"action": "approve", "key": own["id"]})
    await user.should_not_see(marker="confirm-dialog")  # a disabled action does nothing, even when sent
    [waiting] = (await ledger.list_adjustments(admin, status=AdjustmentStatus.PENDING)).adjustments
    assert (await ledger.balance(admin, wallet.programme_id, wallet.recipient_id)).available == 850

    user.find(marker="sign-out").click()
    await user.should_see("You are signed out", retries=patience)
    await sign_in("checker@example.com", PASSWORD, path="/approvals")
    await user.should_see(marker="approvals-table", retries=patience)
    queue = table(user, "approvals-table")
    await eventually(lambda: [(row["actions"], row["disabled"]) for row in queue.rows] == [(["approve", "reject"], [])])
    assert (queue.rows[0]["recipient"], queue.rows[0]["change"], queue.rows[0]["reason"]) == (
        "Asha Rao (EMP-1001)",
        "+500",
        "goodwill for ticket T-1042",
    )
    user.find(marker="approvals-table").trigger("row_action", {"action": "approve", "key": queue.rows[0]["id"]})
    await user.should_see("Approve +500 points for Asha Rao?", retries=patience)
    user.find(marker="confirm-ok").click()
    await user.should_see("Approved: +500 points for Asha Rao in Sales stars.", retries=patience)
    await eventually(lambda: queue.rows == [])
    decided = await ledger.get_adjustment(admin, waiting.id)
    assert (decided.status, decided.decided_by_label) == (AdjustmentStatus.APPROVED, "checker@example.com")
    assert (await ledger.balance(admin, wallet.programme_id, wallet.recipient_id)).available == 1350


async def test_a_rejected_adjustment_moves_nothing(
    admin, user: User, sign_in, create_person, wallet: Wallet, patience, table, eventually
) -> None:
    await create_person("maker@example.com", ["finance"])
    await request_as(user, sign_in, "maker@example.com", wallet, patience, 75, "duplicate of T-9")
    user.find(marker="sign-out").click()
    await user.should_see("You are signed out", retries=patience)
    await sign_in(path="/approvals")  # the admin
    await user.should_see(marker="approvals-table", retries=patience)
    queue = table(user, "approvals-table")
    await eventually(lambda: len(queue.rows) == 1)
    user.find(marker="approvals-table").trigger("row_action", {"action": "reject", "key": queue.rows[0]["id"]})
    await user.should_see(marker="reject-dialog", retries=patience)
    user.find(marker="decision-note").type("already credited")
    user.find(marker="send-rejection").click()
    await user.should_see("Rejected the request for Asha Rao: no points moved.", retries=patience)
    await eventually(lambda: queue.rows == [])
    [rejected] = (await ledger.list_adjustments(admin)).adjustments
    assert (rejected.status, rejected.decision_note) == (AdjustmentStatus.REJECTED, "already credited")
    assert (await ledger.balance(admin, wallet.programme_id, wallet.recipient_id)).available == 850


async def test_an_adjustment_needs_a_reason_and_a_whole_amount(console: User, admin, wallet: Wallet, patience) -> None:
    await console.open(wallet.url)
    console.find(marker="request-adjustment").click()
    await console.should_see(marker="adjustment-dialog", retries=patience)
    console.find(marker="adjustment-amount").type("12.5")
    console.find(marker="send-adjustment").click()
    await console.should_see("An amount is a whole number of points", retries=patience)
    assert (await ledger.list_adjustments(admin)).adjustments == []


async def test_a_debit_beyond_the_balance_is_refused_in_the_dialog_with_the_balance(
    console: User, admin, wallet: Wallet, patience, eventually
) -> None:
    await console.open(wallet.url)
    console.find(marker="request-adjustment").click()
    await console.should_see(marker="adjustment-dialog", retries=patience)
    assert next(iter(console.find(marker="adjustment-available").elements)).text == (
        "Available now: 850 points; a debit cannot be larger."
    )
    console.find("Debit (remove points)").click()
    console.find(marker="adjustment-amount").type("851")
    console.find(marker="adjustment-reason").type("clawback")
    console.find(marker="send-adjustment").click()
    amount = next(iter(console.find(marker="adjustment-amount").elements))
    await eventually(lambda: amount.error == "The wallet holds 850 points available: a debit of 851 would overdraw it.")
    assert (await ledger.list_adjustments(admin)).adjustments == []


async def test_a_support_agent_reads_points_but_cannot_adjust(
    admin, user: User, sign_in, create_person, wallet: Wallet, patience
) -> None:
    await create_person("agent@example.com", ["support_agent"])
    await sign_in("agent@example.com", PASSWORD, path=wallet.url)
    await user.should_see("Points of Asha Rao", retries=patience)
    await user.should_see(marker="nav-points")
    await user.should_not_see(marker="nav-approvals")
    await user.should_not_see(marker="request-adjustment")
    await user.open("/approvals")
    await user.should_see("You need the permission “ledger:adjust” to open Approvals.")


async def test_a_recipient_without_points_yet_has_an_empty_wallet(console: User, admin, wallet: Wallet, patience) -> None:
    ravi = await recipients.get_recipient(admin, external_id="EMP-1002")
    await console.open(f"/points?recipient={ravi.id}")
    await console.should_see("Points of Ravi Kumar", retries=patience)
    await console.should_see("Ravi Kumar has no points in Sales stars yet.")
    assert label_of(console, "balance-available-points") == "0"
    await console.should_see(marker="request-adjustment")  # a credit adjustment opens the wallet

    await console.open("/points?recipient=not-an-id")
    await console.should_see("There is no recipient with id not-an-id.", retries=patience)


async def test_the_maker_withdraws_their_own_request(
    admin, user: User, sign_in, create_person, wallet: Wallet, patience, table, eventually
) -> None:
    await create_person("maker@example.com", ["finance"])
    await request_as(user, sign_in, "maker@example.com", wallet, patience, 40, "typed the wrong wallet")
    await user.open("/approvals")
    queue = table(user, "approvals-table")
    await eventually(lambda: len(queue.rows) == 1)
    user.find(marker="approvals-table").trigger("row_action", {"action": "withdraw", "key": queue.rows[0]["id"]})
    await user.should_see("Withdraw your request?", retries=patience)
    user.find(marker="send-rejection").click()
    await user.should_see("Withdrew the request for Asha Rao: no points moved.", retries=patience)
    await eventually(lambda: queue.rows == [])
    [withdrawn] = (await ledger.list_adjustments(admin)).adjustments
    assert (withdrawn.status, withdrawn.decided_by_label) == (AdjustmentStatus.REJECTED, "maker@example.com")
    assert (await ledger.balance(admin, wallet.programme_id, wallet.recipient_id)).available == 850


async def test_the_approvals_page_drops_a_request_withdrawn_elsewhere(
    admin, user: User, sign_in, create_person, wallet: Wallet, patience, table, eventually, monkeypatch
) -> None:
    monkeypatch.setattr(watch, "POLL_SECONDS", 0.2)
    maker = access.actor_for_user(await access.create_user(admin, "maker@example.com", "Maker", PASSWORD, ["finance"]))
    waiting = await ledger.request_adjustment(
        maker, wallet.programme_id, wallet.recipient_id, "credit", 60, "goodwill", idempotency_key="refresh-1"
    )
    await sign_in(path="/approvals")  # the admin, a checker
    await user.should_see(marker="approvals-table", retries=patience)
    queue = table(user, "approvals-table")
    await eventually(lambda: [row["id"] for row in queue.rows] == [str(waiting.id)])
    await ledger.withdraw_adjustment(maker, waiting.id, "asked twice")  # the maker withdraws it elsewhere
    await eventually(lambda: queue.rows == [], seconds=10)
    await user.should_see("Another admin changed this meanwhile: the page shows it as it is now.", retries=patience)
