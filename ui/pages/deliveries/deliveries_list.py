"""Deliveries: how each issued reward reached (or did not reach) its recipient, failed ones first.

Filter by status, reason, channel, provider, campaign and upload; page on the server (the service
pages by key, so page 400 costs what page 1 does); fix a recipient's email or phone and resend; resend
one, a selection, or every failed delivery of an upload; correct many contacts from a CSV. Each
action says what it did: how many went back to the worker and why the others did not."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignFilter
from backend.core.authz import Actor, Permission
from backend.deliveries.services import listing, resending, upload_resends
from backend.deliveries.views import FAILED, DeliveryView
from backend.recipients import services as recipients
from backend.rewards.services import issuances
from backend.rewards.uploads.services import review
from ui import navigation
from ui.components.action import perform, sentence
from ui.components.dialogs import confirm
from ui.components.display import EMPTY, when
from ui.components.keyset_pages import KeysetPages
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
from ui.pages.channel_words import CHANNELS
from ui.pages.deliveries.corrections import corrections_card
from ui.pages.deliveries.resend import ask_fix, resend_summary
from ui.pages.deliveries.timeline import timeline_url
from ui.pages.deliveries.words import (
    DELIVERY_STATUS_COLOURS,
    DELIVERY_STATUSES,
    FAILURE_REASONS,
    PROVIDERS,
    channel_name,
    failure_reason,
    provider_name,
)
from ui.pages.rewards.words import amount
from ui.session import signed_in
from ui.theme import frame

COLUMNS = [
    Column("created_at", "Issued"),
    Column("reward", "Reward", link=True),  # to the reward's delivery timeline
    Column("recipient", "Recipient"),
    Column("campaign", "Campaign"),
    Column("channel", "Channel"),
    Column("contact", "Contact"),
    Column("provider", "Provider"),
    Column("status", "Status", badge=True),
    Column("attempts", "Tries", align="right"),
    Column("reason", "Reason"),
    Column("failure", "What happened", wrap=True),
]
ACTIONS = [RowAction("fix", "Fix contact and resend", "edit"), RowAction("resend", "Resend", "send")]
MAX_CHOICES = 500


def deliveries_url(**filters: str) -> str:
    query = "&".join(f"{name}={value}" for name, value in filters.items() if value)
    return navigation.DELIVERIES.path + (f"?{query}" if query else "")


class DeliveriesPage:
    def __init__(self, actor: Actor, campaign_names: dict[str, str], upload_names: dict[str, str], start: dict) -> None:
        self.actor = actor
        self.campaign_names, self.upload_names, self.start = campaign_names, upload_names, start
        self.pages: KeysetPages = KeysetPages()
        self.shown: dict[str, dict] = {}
        self.table: PagedTable | None = None
        self.resend_selected: ui.button | None = None
        self.resend_upload: ui.button | None = None

    @property
    def can_resend(self) -> bool:
        return self.actor.can(Permission.DELIVERIES_WRITE)

    # ------------------------------------------------------------ reading

    def _filter(self, request: PageRequest) -> listing.DeliveryFilter:
        wanted = request.filters

        def some_id(name: str) -> uuid.UUID | None:
            try:
                return uuid.UUID(wanted[name]) if wanted.get(name) else None
            except ValueError:
                return None

        return listing.DeliveryFilter(
            status=wanted.get("status"),
            failure_code=wanted.get("reason"),
            channel=wanted.get("channel"),
            provider=wanted.get("provider"),
            campaign_id=some_id("campaign"),
            upload_id=some_id("upload"),
        )

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        wanted = self._filter(request)

        async def after(key, limit):
            found = await listing.deliveries_after(actor, wanted, after=key, limit=limit)
            return found, listing.delivery_key(found[-1]) if len(found) == limit else None

        found: list[DeliveryView] = await self.pages.page(wanted, request.offset, request.limit, after)
        total = await listing.count_deliveries(actor, wanted)
        rows = await self._rows(actor, found)
        self.shown = {row["id"]: row for row in rows}
        if self.resend_upload is not None:  # "all failed of this upload" needs an upload chosen
            self.resend_upload.set_enabled(wanted.upload_id is not None)
        return rows, total

    async def _rows(self, actor: Actor, found: list[DeliveryView]) -> list[dict]:
        people = await recipients.recipients_by_ids(actor, list({d.recipient_id for d in found}))
        rewards = await issuances.issuances_by_ids(actor, list({d.issuance_id for d in found}))
        rows = []
        for delivery in found:
            person = people.get(delivery.recipient_id)
            reward = rewards.get(delivery.issuance_id)
            failed = delivery.status == FAILED
            rows.append(
                {
                    "id": str(delivery.id),
                    "href": timeline_url(delivery.issuance_id),
                    "created_at": when(delivery.created_at),
                    "reward": amount(reward.value, reward.currency) if reward else str(delivery.issuance_id),
                    "recipient": f"{person.full_name} ({person.external_id})" if person else str(delivery.recipient_id),
                    "campaign": self.campaign_names.get(str(delivery.campaign_id), str(delivery.campaign_id)),
                    "channel": channel_name(delivery.channel),
                    "channel_code": delivery.channel,
                    "contact": delivery.contact or EMPTY,
                    "contact_raw": delivery.contact,
                    "provider": provider_name(delivery.provider),
                    "status": DELIVERY_STATUSES.get(delivery.status, delivery.status),
                    "status_colour": DELIVERY_STATUS_COLOURS.get(delivery.status, "grey-7"),
                    "attempts": delivery.attempts,
                    "reason": failure_reason(delivery.failure_code) if delivery.failure_code else EMPTY,
                    "failure": sentence(delivery.failure_reason) if delivery.failure_reason else EMPTY,
                    "actions": ["fix", "resend"] if failed and self.can_resend else [],
                }
            )
        return rows

    # ------------------------------------------------------------ page

    async def build(self) -> None:
        with frame(
            navigation.DELIVERIES.label,
            "How each issued reward reached its recipient. Failed deliveries come first: fix the contact and resend.",
        ) as page:
            with page.actions:
                ui.button(
                    "Success rates", icon="insights", on_click=lambda: ui.navigate.to(navigation.DELIVERY_RATES.path)
                ).props("flat no-caps")
                if self.can_resend:
                    self.resend_selected = (
                        ui.button("Resend selected", icon="send", on_click=self.resend_chosen)
                        .props("unelevated no-caps")
                        .mark("resend-selected")
                    )
                    self.resend_upload = (
                        ui.button("Resend all failed of this upload", icon="replay", on_click=self.resend_all_of_upload)
                        .props("outline no-caps")
                        .mark("resend-upload")
                    )
            if not self.can_resend:
                with ui.row().classes("items-center gap-2").mark("read-only-note"):
                    ui.icon("visibility", color="grey-7")
                    ui.label(
                        "You can read deliveries; resending and fixing contacts need the deliveries:write permission."
                    ).classes("mb-muted text-body2")
            self.table = PagedTable(
                COLUMNS,
                self.fetch,
                actions=ACTIONS if self.can_resend else None,
                on_action=self.act,
                marker="deliveries-table",
                empty_text="No delivery matches",
            )
            self.table.table.props("dense")
            table = self.table
            table.select_filter("status", "Status", DELIVERY_STATUSES, value=self.start.get("status"), width="w-40")
            table.select_filter("reason", "Reason", FAILURE_REASONS, value=self.start.get("reason"), width="w-56")
            table.select_filter("channel", "Channel", CHANNELS, value=self.start.get("channel"), width="w-36")
            table.select_filter("provider", "Provider", PROVIDERS, value=self.start.get("provider"), width="w-40")
            table.select_filter("campaign", "Campaign", self.campaign_names, value=self.start.get("campaign"), width="w-56")
            table.select_filter("upload", "Upload", self.upload_names, value=self.start.get("upload"), width="w-56")
            if self.can_resend:
                self.table.table.set_selection("multiple")
                self.table.table.on_select(self._selection_changed)
                corrections_card(on_done=self.reload)
        await self.reload()

    def _selection_changed(self) -> None:
        if self.resend_selected is None:
            return
        count = len(self.table.table.selected)
        self.resend_selected.text = f"Resend selected ({count})" if count else "Resend selected"
        self.resend_selected.set_enabled(count > 0)

    async def reload(self) -> None:
        self.pages = KeysetPages()  # what was failed may have been resent: the keys of every page change
        await self.table.reload(first_page=False)
        self.table.table.selected = []
        self._selection_changed()

    # ------------------------------------------------------------ actions

    async def act(self, action: str, row: dict) -> None:
        if action == "fix":
            report = await ask_fix(row, uuid.UUID(row["id"]))
            if report is not None:
                self._say(report)
                await self.reload()
        elif action == "resend":
            if await confirm(
                "Resend this reward?",
                f"The reward of {row['recipient']} is sent again by {row['channel']} to {row['contact']}. "
                f"It failed: {row['failure']}",  # a sentence already
                confirm_label="Resend",
            ):
                await self._resend([row["id"]])

    async def resend_chosen(self) -> None:
        chosen = [row["id"] for row in self.table.table.selected]
        if not chosen:
            ui.notify("Select the deliveries to resend first.", type="warning")
            return
        count = len(chosen)
        if await confirm(
            f"Resend {count:,} deliver{'ies' if count != 1 else 'y'}?",
            "Each failed one is sent again to the contact on record; one already delivered or on its way is left as it is.",
            confirm_label="Resend",
        ):
            await self._resend(chosen)

    async def resend_all_of_upload(self) -> None:
        upload = self.table.filters.get("upload")
        if not upload:
            ui.notify("Choose an upload in the filter first.", type="warning")
            return
        name = self.upload_names.get(upload, upload)
        if not await confirm(
            f"Resend every failed delivery of {name}?",
            "Every reward of this upload whose delivery failed is sent again to the contact on record. Nothing is re-uploaded "
            "or issued twice.",
            confirm_label="Resend all failed",
        ):
            return
        failed = await perform(lambda actor: upload_resends.request_resend_of_upload(actor, uuid.UUID(upload)))
        if failed is not None:
            message = (
                f"Resending {failed:,} failed deliver{'ies' if failed != 1 else 'y'} of {name} in the background: "
                "the upload's counts move as they go."
                if failed
                else f"No delivery of {name} has failed."
            )
            ui.notify(message, type="positive" if failed else "info")
            await self.reload()

    async def _resend(self, ids: list[str]) -> None:
        chosen = [uuid.UUID(i) for i in ids]
        report = await perform(lambda actor: resending.resend(actor, chosen))
        if report is not None:
            self._say(report)
            await self.reload()

    def _say(self, report: resending.ResendReport) -> None:
        message, kind = resend_summary(report)
        ui.notify(message, type=kind, multi_line=True, close_button=kind != "positive")


async def deliveries_page(
    status: str | None = None,
    reason: str | None = None,
    channel: str | None = None,
    provider: str | None = None,
    campaign: str | None = None,
    upload: str | None = None,
) -> None:
    actor = signed_in().actor
    found = (await campaigns.list_campaigns(actor, CampaignFilter(), limit=MAX_CHOICES)).rows
    uploads = (await review.list_uploads(actor, None, None, 0, MAX_CHOICES)).rows
    campaign_names = {str(c.id): c.name for c in found}
    upload_names = {str(u.id): f"{u.file_name} · {when(u.uploaded_at)}" for u in uploads}
    start = {"status": status, "reason": reason, "channel": channel, "provider": provider, "campaign": campaign, "upload": upload}
    await DeliveriesPage(actor, campaign_names, upload_names, start).build()
