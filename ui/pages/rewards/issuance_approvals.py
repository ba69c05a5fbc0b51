"""Issuance approvals: the rewards of a campaign in admin-approval mode that wait for a second
person. Approve or reject one, or a selection; the budget, the campaign's status and dates (and
the stock) are checked again at approval, each reward on its own, and the page lists what became
of each one. A reward one asked for oneself is approved by someone else (Approve is disabled with
the reason, the service refuses it too); its maker may withdraw it."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.campaigns.services import approvals as queue
from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignFilter
from backend.campaigns.views import CampaignView, GrantView
from backend.catalog.services import offers as catalog_offers
from backend.core.authz import Actor, Permission
from backend.recipients import services as recipients
from backend.rewards.services import approvals
from backend.rewards.services.approvals import Decision
from ui import navigation
from ui.components import approval
from ui.components.action import perform, sentence
from ui.components.dialogs import ask, confirm
from ui.components.display import EMPTY, when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.components.watch import Watch
from ui.pages.rewards.campaign_counters import counters
from ui.pages.rewards.campaigns_list import campaign_url
from ui.pages.rewards.words import campaign_amount
from ui.session import signed_in
from ui.theme import frame

COLUMNS = [
    Column("requested_at", "Asked"),
    Column("requested_by", "By"),
    Column("recipient", "Recipient", link=True),
    Column("reward", "Reward"),
    Column("value", "Value", align="right"),
    Column("source_event", "Source", ellipsis=True),
]
MAX_CAMPAIGNS = 500
OUTCOMES = {
    "issued": ("Approved and issued", "positive"),
    "rejected": ("Rejected", "grey-7"),
    "withdrawn": ("Withdrawn", "grey-7"),
    "unchanged": ("Not decided", "negative"),
}


class IssuanceApprovalsPage:
    def __init__(self, actor: Actor, waiting: list[CampaignView], chosen: CampaignView | None) -> None:
        self.actor, self.waiting, self.campaign = actor, waiting, chosen
        self.grants: dict[str, GrantView] = {}
        self.rows: dict[str, dict] = {}  # what each shown reward is called, for the outcome list
        self.table: PagedTable | None = None
        self.counters: ui.column | None = None
        self.outcomes: ui.column | None = None
        self.selection: approval.SelectionDecisions | None = None

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await queue.pending_queue(actor, self.campaign.id, request.offset, request.limit)
        grants: list[GrantView] = page.rows
        people = await recipients.recipients_by_ids(actor, list({grant.recipient_id for grant in grants}))
        offer_ids = list({grant.offer_id for grant in grants if grant.offer_id is not None})
        offers = await catalog_offers.offers_by_ids(actor, offer_ids) if offer_ids and actor.can(Permission.CATALOG_READ) else {}
        self.grants = {str(grant.id): grant for grant in grants}
        rows = []
        for grant in grants:
            person = people.get(grant.recipient_id)
            offer = offers.get(grant.offer_id) if grant.offer_id else None
            own = queue.is_maker(actor, grant)
            row = {
                "id": str(grant.id),
                "requested_at": when(grant.granted_at),
                "requested_by": grant.requested_by_label + (" (you)" if own else ""),
                "recipient": f"{person.full_name} ({person.external_id})" if person else str(grant.recipient_id),
                "href": f"{navigation.RECIPIENTS.path}/{grant.recipient_id}",
                "reward": "Points" if grant.offer_id is None else (offer.title if offer else str(grant.offer_id)),
                "value": campaign_amount(self.campaign, grant.value),
                "source_event": grant.source_event or EMPTY,
                **approval.row_actions(own),
            }
            self.rows[row["id"]] = row
            rows.append(row)
        return rows, page.total

    async def build(self) -> None:
        with frame(
            navigation.ISSUANCE_APPROVALS.label,
            "Rewards of admin-approval campaigns waiting for a second person. "
            "Approving issues them, within the budget left at that moment.",
        ):
            if not self.waiting and self.campaign is None:
                with ui.card().classes("mb-card q-pa-lg w-full items-center gap-2").mark("nothing-waits"):
                    ui.icon("task_alt", size="40px", color="positive")
                    ui.label("Nothing waits for approval.").classes("text-h6")
                    ui.link("See the campaigns", navigation.CAMPAIGNS.path).classes("text-primary")
                return
            choices = {str(c.id): f"{c.name} · {c.pending_count:,} waiting" for c in self.waiting}
            if self.campaign is not None and str(self.campaign.id) not in choices:
                choices[str(self.campaign.id)] = f"{self.campaign.name} · {self.campaign.pending_count:,} waiting"
            with ui.row().classes("w-full items-end gap-4"):
                ui.select(
                    choices,
                    label="Campaign",
                    value=str(self.campaign.id),
                    on_change=lambda e: ui.navigate.to(f"{navigation.ISSUANCE_APPROVALS.path}?campaign={e.value}"),
                ).props("outlined dense options-dense").classes("w-96").mark("approval-campaign")
                ui.link("Open the campaign", campaign_url(self.campaign.id)).classes("text-primary text-body2 q-mb-sm")
            self.counters = ui.column().classes("w-full gap-4")
            with self.counters:
                counters(self.campaign)
            with ui.row().classes("w-full items-start gap-2"):
                ui.label("Select rewards to decide them together, or use a row's buttons.").classes("mb-muted text-body2")
                ui.space()
                selection_bar = ui.row()
            self.table = PagedTable(
                COLUMNS,
                self.fetch,
                actions=approval.ROW_ACTIONS,
                compact=False,
                on_action=self.act,
                marker="issuance-approvals-table",
                empty_text="Nothing of this campaign waits for approval",
            )
            self.table.table.set_selection("multiple")
            with selection_bar:
                self.selection = approval.SelectionDecisions(self.table.table, self.decide, noun=("reward", "rewards"))
            self.table.table.on_select(self.selection.refresh)
            self.outcomes = ui.column().classes("w-full gap-2").mark("decision-outcomes")
            self.watch = Watch(self.fingerprint, self.redraw)
            async with self.watch.drawing():
                await self.reload()

    async def fingerprint(self, actor: Actor) -> tuple:
        page = await queue.pending_queue(actor, self.campaign.id, 0, approvals.MAX_BATCH)
        return page.total, tuple(sorted(str(grant.id) for grant in page.rows))

    async def redraw(self) -> None:
        self.campaign = await campaigns.get_campaign(self.actor, self.campaign.id)
        self.counters.clear()
        with self.counters:
            counters(self.campaign)
        await self.reload()

    async def reload(self) -> None:
        await self.table.reload(first_page=False)
        self.table.table.selected = []
        self.selection.refresh()

    async def act(self, action: str, row: dict) -> None:
        await self.decide(action, [row["id"]])

    async def decide(self, action: str, ids: list[str], skipped: str = "") -> None:
        """Approve, reject (a checker) or withdraw (the maker) the rewards ``ids``; ``skipped`` says
        which of a selection were left out and why, and ends the outcome message."""
        count = len(ids)
        what = (
            f"{count:,} reward{'s' if count != 1 else ''}" if count != 1 else f"the reward for {self.rows[ids[0]]['recipient']}"
        )
        total = sum(self.grants[i].value for i in ids if i in self.grants)
        if action == "approve":
            if not await confirm(
                f"Approve {what}?",
                f"{campaign_amount(self.campaign, total)} in all, issued at once under "
                f"{self.campaign.name}. Each is checked against the budget left now: any that no longer fits stays "
                "waiting.",
                confirm_label="Approve",
            ):
                return
            note = ""
            decide_all = approvals.approve_issuances
        else:  # a checker's rejection or the maker's withdrawal: the hold is released, nothing is issued
            note = await self._ask_note(what, withdraw=action == "withdraw")
            if note is None:
                return
            decide_all = approvals.withdraw_issuances if action == "withdraw" else approvals.reject_issuances
        chosen = [uuid.UUID(i) for i in ids]
        decisions: list[Decision] | None = await perform(lambda actor: decide_all(actor, chosen, note))
        if decisions is None:
            return
        self._show_outcomes(decisions)
        done = sum(1 for d in decisions if d.status != "unchanged")
        refused = len(decisions) - done
        verb = {"approve": "Approved", "reject": "Rejected", "withdraw": "Withdrew"}[action]
        message = f"{verb} {done:,} of {len(decisions):,}" + (f"; {refused:,} not decided (see why below)." if refused else ".")
        message += f" {skipped}" if skipped else ""
        ui.notify(message, type="positive" if not refused else "warning", multi_line=True)
        async with self.watch.drawing():
            await self.redraw()

    async def _ask_note(self, what: str, *, withdraw: bool = False) -> str | None:
        verb = "Withdraw" if withdraw else "Reject"
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[480px] gap-3").mark("reject-dialog"):
            ui.label(f"{verb} {what}?").classes("text-h6")
            ui.label("Nothing is issued; the count and budget they held go back to the campaign.").classes("mb-muted")
            note = ui.input("Why (optional, kept with the decision)").props("outlined").classes("w-full").mark("decision-note")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
                ui.button(verb, on_click=lambda: dialog.submit(note.value or "")).props("unelevated no-caps color=negative").mark(
                    "send-rejection"
                )
        return await ask(dialog)

    def _show_outcomes(self, decisions: list[Decision]) -> None:
        self.outcomes.clear()
        with self.outcomes:
            with ui.row().classes("items-center gap-2 q-mt-md"):
                ui.icon("checklist", color="primary")
                ui.label("What became of each").classes("text-subtitle1 text-weight-medium")
            rows = []
            for decision in decisions:
                shown = self.rows.get(str(decision.issuance_id), {})
                label, colour = OUTCOMES.get(decision.status, (decision.status, "grey-7"))
                rows.append(
                    {
                        "id": str(decision.issuance_id),
                        "recipient": shown.get("recipient", str(decision.issuance_id)),
                        "value": shown.get("value", EMPTY),
                        "outcome": label,
                        "colour": colour,
                        "reason": sentence(decision.message) if decision.status == "unchanged" else EMPTY,
                    }
                )
            table = (
                ui.table(
                    columns=[
                        {"name": "recipient", "label": "Recipient", "field": "recipient", "align": "left"},
                        {"name": "value", "label": "Value", "field": "value", "align": "right"},
                        {"name": "outcome", "label": "Outcome", "field": "outcome", "align": "left"},
                        {"name": "reason", "label": "Why", "field": "reason", "align": "left"},
                    ],
                    rows=rows,
                    row_key="id",
                )
                .classes("w-full mb-table")
                .props("flat dense hide-bottom")
                .mark("outcomes-table")
            )
            table.add_slot(
                "body-cell-outcome",
                """
                <q-td :props="props"><q-badge outline rounded class="mb-status" :color="props.row.colour" :label="props.value" /></q-td>""",
            )


async def issuance_approvals_page(campaign: str | None = None) -> None:
    actor = signed_in().actor
    found = (await campaigns.list_campaigns(actor, CampaignFilter(), limit=MAX_CAMPAIGNS)).rows
    waiting = sorted((c for c in found if c.pending_count > 0), key=lambda c: c.name.lower())
    chosen = next((c for c in found if str(c.id) == campaign), None) or (waiting[0] if waiting else None)
    await IssuanceApprovalsPage(actor, waiting, chosen).build()
