"""One recipient's wallet in one programme: the balance, then the transaction log, the pending
holds and the manual adjustments, each in a tab."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.core.money import format_money, nearest_minor
from backend.ledger import services as ledger
from backend.ledger.views import Balance
from backend.recipients import services as recipients
from backend.recipients.services.views import ProgrammeView, RecipientView
from ui import navigation
from ui.components.paged_table import PagedTable
from ui.pages.ledger.adjustments import adjustments_table, request_adjustment
from ui.pages.ledger.holds import holds_table
from ui.pages.ledger.transactions import TransactionLog
from ui.theme import frame

TABS = {"transactions": "Transactions", "holds": "Pending holds", "adjustments": "Adjustments"}
MAX_PROGRAMMES = 200


def wallet_url(recipient_id: object, programme_id: object | None = None) -> str:
    query = {"recipient": recipient_id} | ({"programme": programme_id} if programme_id else {})
    return f"{navigation.POINTS.path}?{urlencode(query)}"


def _worth(points: int, programme: ProgrammeView) -> str:
    """ "worth 212.50 INR", "worth 2,125 JPY": to the nearest minor unit of the programme's currency."""
    return f"worth {format_money(nearest_minor(points * programme.point_value, programme.currency), programme.currency)}"


def _balance_cards(balance: Balance, programme: ProgrammeView) -> None:
    cards = (
        ("Available", balance.available, "savings", "can be spent or reserved now", "balance-available"),
        (
            "Pending holds",
            balance.pending,
            "hourglass_top",
            "reserved by purchases not yet confirmed or released",
            "balance-pending",
        ),
        ("Posted", balance.posted, "account_balance", "every confirmed movement: available plus holds", "balance-posted"),
    )
    with ui.element("div").classes("mb-tallies"):
        for label, amount, icon, hint, marker in cards:
            with ui.card().classes("mb-card q-pa-md gap-1").mark(marker):
                with ui.row().classes("items-center gap-2 no-wrap"):
                    ui.icon(icon, size="22px", color="primary")
                    ui.label(label).classes("text-body2 text-weight-medium")
                ui.label(f"{amount:,}").classes("text-h4 text-weight-bold").mark(f"{marker}-points")
                ui.label(_worth(amount, programme)).classes("text-body2")
                ui.label(hint).classes("mb-muted text-caption")


def _programme_choice(recipient: RecipientView, programmes: list[ProgrammeView], wallets: dict, chosen: ProgrammeView) -> None:
    def label(programme: ProgrammeView) -> str:
        wallet = wallets.get(programme.id)
        return f"{programme.name} · {wallet.available:,} available" if wallet else f"{programme.name} · no points yet"

    ui.select(
        {str(p.id): label(p) for p in programmes},
        label="Programme",
        value=str(chosen.id),
        on_change=lambda event: ui.navigate.to(wallet_url(recipient.id, event.value)),
    ).props("dense outlined options-dense").classes("w-72").mark("wallet-programme")


def _file_stem(recipient: RecipientView, programme: ProgrammeView) -> str:
    """points-EMP-1001-sales-stars: safe in any file system."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"points-{recipient.external_id}-{programme.name}").strip("-").lower()


class WalletPage:
    def __init__(self, recipient: RecipientView, programme: ProgrammeView, balance: Balance) -> None:
        self.recipient, self.programme, self.balance = recipient, programme, balance
        self.tabs: ui.tabs | None = None
        self.adjustments: PagedTable | None = None

    async def build(self, actor: Actor, programmes: list[ProgrammeView], wallets: dict) -> None:
        recipient, programme, balance = self.recipient, self.programme, self.balance
        with frame(
            f"Points of {recipient.full_name}",
            f"{recipient.external_id} · {programme.name} · one point is worth {programme.point_value} {programme.currency}",
        ) as page:
            with page.actions:
                _programme_choice(recipient, programmes, wallets, programme)
                if actor.can(Permission.LEDGER_ADJUST):
                    ui.button("Request adjustment", icon="tune", on_click=self.adjust).props("unelevated no-caps").mark(
                        "request-adjustment"
                    )
            with ui.row().classes("gap-4"):
                ui.link("← Find another wallet", navigation.POINTS.path).classes("text-primary text-body2")
                ui.link("Recipient details", f"{navigation.RECIPIENTS.path}/{recipient.id}").classes("text-primary text-body2")
            _balance_cards(balance, programme)
            with ui.tabs(value="transactions").props("align=left no-caps").classes("text-primary") as self.tabs:
                for name, label in TABS.items():
                    ui.tab(name, label).mark(f"tab-{name}")
            with ui.tab_panels(self.tabs, value="transactions").classes("w-full bg-transparent"):
                with ui.tab_panel("transactions").classes("q-px-none"):
                    log = (
                        TransactionLog(balance, _file_stem(recipient, programme)).build()
                        if balance.wallet_id
                        else self._no_points()
                    )
                with ui.tab_panel("holds").classes("q-px-none"):
                    holds = holds_table(balance) if balance.wallet_id else self._no_points()
                with ui.tab_panel("adjustments").classes("q-px-none"):  # a credit adjustment may open the wallet
                    self.adjustments = adjustments_table(balance)
            for table in (log, holds, self.adjustments):
                if table is not None:
                    await table.reload()

    def _no_points(self) -> None:
        ui.label(f"{self.recipient.full_name} has no points in {self.programme.name} yet.").classes("mb-muted").mark("no-points")

    async def adjust(self) -> None:
        if await request_adjustment(self.balance, self.recipient.full_name, self.programme.name):
            self.tabs.set_value("adjustments")
            await self.adjustments.reload()


async def wallet_page(actor: Actor, recipient: RecipientView, programme_id: str | None) -> None:
    programmes = (await recipients.list_programmes(actor, limit=MAX_PROGRAMMES)).rows
    if not programmes:
        with frame(navigation.POINTS.label):
            ui.label("There is no programme yet: points live in a programme's wallets.").classes("text-body1")
        return
    wallets = {wallet.programme_id: wallet for wallet in await ledger.wallets_of(actor, recipient.id)}
    chosen = next((p for p in programmes if str(p.id) == programme_id), None) or next(
        (p for p in programmes if p.id in wallets), programmes[0]
    )
    balance = wallets.get(chosen.id) or await ledger.balance(actor, chosen.id, recipient.id)
    await WalletPage(recipient, chosen, balance).build(actor, programmes, wallets)
