"""One partner: the onboarding checklist stage by stage, what blocks go-live, the go-live decision,
the profile, the partner's offers, and the onboarding trail as a download."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from nicegui import ui

from backend.catalog.services import offers
from backend.catalog.services.offers import OfferFilter
from backend.catalog.views import RETIRED
from backend.core.authz import Actor, Permission
from backend.core.errors import NotFound
from backend.partners.services import go_live, onboarding, profiles, trail_export
from backend.partners.views import OnboardingView, PartnerView
from ui import navigation
from ui.components import flash
from ui.components.action import perform
from ui.components.display import EMPTY, when
from ui.components.status_badge import status_badge
from ui.components.watch import Watch
from ui.pages.catalog.go_live_panel import go_live_panel
from ui.pages.catalog.partner_form import edit_profile
from ui.pages.catalog.stages import stage_cards
from ui.pages.catalog.words import (
    OFFER_STATUS_COLOURS,
    OFFER_STATUSES,
    PARTNER_STATUS_COLOURS,
    PARTNER_STATUSES,
    REWARD_TYPES,
    SOURCES,
    category_words,
    stage_label,
)
from ui.pages.insights.actions import corrective_actions_button
from ui.pages.insights.flags_card import partner_flags, performance_flags_card
from ui.pages.insights.history import actions_history, partner_actions
from ui.pages.insights.replace_dialog import pending_replacement, replacement_notice
from ui.pages.recipients import country_name
from ui.session import signed_in
from ui.theme import frame


def _profile(partner: PartnerView) -> None:
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("partner-profile"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("storefront", color="primary")
            ui.label("Profile").classes("text-subtitle1 text-weight-medium")
        facts = (
            [
                ("Source", SOURCES.get(partner.source, partner.source)),
                ("Category", category_words(partner.category)),
                ("Countries", ", ".join(country_name(code) for code in partner.countries)),
                ("Reward types", ", ".join(REWARD_TYPES.get(kind, kind) for kind in partner.reward_types)),
                ("Audience fit", partner.audience_fit or EMPTY),
            ]
            + [
                (
                    f"Contact{'' if index == 0 else f' {index + 1}'}",
                    " · ".join(part for part in (contact.name, contact.role, contact.email, contact.phone) if part),
                )
                for index, contact in enumerate(partner.contacts)
            ]
            + [("Created", f"{when(partner.created_at)} by {partner.created_by_label}")]
        )
        with ui.grid(columns="minmax(96px, auto) 1fr").classes("gap-x-4 gap-y-1 text-body2 w-full"):
            for label, value in facts:
                ui.label(label).classes("mb-muted")
                ui.label(value).classes("break-words")


def _offers(partner: PartnerView, found: list, can_write: bool) -> None:
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("partner-offers"):
        with ui.row().classes("w-full items-center justify-between"):
            with ui.row().classes("items-center gap-2"):
                ui.icon("redeem", color="primary")
                ui.label("Offers").classes("text-subtitle1 text-weight-medium")
            if can_write:
                ui.button(
                    "New offer",
                    icon="add",
                    on_click=lambda: ui.navigate.to(f"{navigation.OFFERS.path}/new?{urlencode({'partner': partner.id})}"),
                ).props("flat dense no-caps").mark("partner-new-offer")
        if not found:
            ui.label("No offers yet: set one up in the offer set-up stage.").classes("mb-muted text-body2")
        for offer in found:
            with ui.row().classes("w-full items-center justify-between no-wrap"):
                ui.link(offer.title, f"{navigation.OFFERS.path}/{offer.id}").classes("text-primary text-body2")
                status_badge(OFFER_STATUSES[offer.status], OFFER_STATUS_COLOURS[offer.status])


def _standing(view: OnboardingView) -> None:
    """Where the partner stands: its status and, while onboarding, the stage it is at."""
    partner = view.partner
    with ui.row().classes("items-center gap-3").style("grid-column: 1 / -1").mark("partner-standing"):
        status_badge(PARTNER_STATUSES[partner.status], PARTNER_STATUS_COLOURS[partner.status], "partner-status")
        if partner.status == "onboarding":
            done = sum(stage.state == "signed_off" for stage in view.stages)
            ui.linear_progress(value=done / len(view.stages), show_value=False, color="primary").classes("w-48").props(
                "rounded size=8px track-color=grey-3"
            )
            ui.label(f"{done} of {len(view.stages)} stages signed off · now: {stage_label(view.current_stage)}").classes(
                "text-body2 mb-muted"
            ).mark("partner-progress")


class PartnerPage:
    def __init__(self, actor: Actor, partner_id: uuid.UUID) -> None:
        self.actor, self.partner_id = actor, partner_id
        self.body: ui.column | None = None

    async def build(self, view: OnboardingView) -> None:
        partner = view.partner
        with frame(partner.name, f"{SOURCES.get(partner.source, partner.source)} partner · {partner.category}") as page:
            with page.actions:
                ui.button("Export trail", icon="download", on_click=self.export_trail).props("outline no-caps").mark(
                    "export-trail"
                )
                ui.button("Evidence bundle", icon="folder_zip", on_click=self.export_bundle).props("outline no-caps").mark(
                    "export-bundle"
                )
                corrective_actions_button(self.actor, self.partner_id, self.refresh)
                if self.actor.can(Permission.PARTNERS_WRITE):
                    ui.button("Edit profile", icon="edit", on_click=self.edit).props("outline no-caps").mark("edit-partner")
            ui.link("← All partners", navigation.PARTNERS.path).classes("text-primary text-body2")
            self.body = ui.element("div").classes("mb-split")
            self.watch = Watch(self.fingerprint, self.render)
        await self.refresh()

    async def fingerprint(self, actor: Actor) -> tuple:
        """The partner's state and its go-live requests: what another admin's decision changes."""
        partner = await profiles.get_partner(actor, self.partner_id)
        requests = await go_live.go_live_requests(actor, self.partner_id)
        return partner.status, partner.updated_at, tuple((r.id, r.status) for r in requests)

    async def render(self) -> None:
        """Everything that changes as the partner is worked: rebuilt after each action."""
        view = await onboarding.onboarding(self.actor, self.partner_id)
        found = (await offers.list_offers(self.actor, OfferFilter(partner_id=self.partner_id), limit=200)).rows
        can_work = self.actor.can(Permission.PARTNERS_WRITE)
        pending, decisions = (
            await pending_replacement(self.actor, self.partner_id),
            await partner_actions(self.actor, self.partner_id),
        )
        flagged = await partner_flags(self.actor, self.partner_id)
        self.body.clear()
        with self.body:
            _standing(view)
            with ui.column().classes("gap-3 w-full").mark("checklist"):
                stage_cards(view, {str(o.id): o.title for o in found if o.status != RETIRED}, can_work, self.refresh)
            with ui.column().classes("gap-4 w-full"):
                replacement_notice(self.actor, pending, self.refresh)
                go_live_panel(view, self.actor, self.refresh)
                _offers(view.partner, found, self.actor.can(Permission.CATALOG_WRITE))
                actions_history(decisions)
                performance_flags_card(flagged)
                _profile(view.partner)

    async def refresh(self) -> None:
        actor = signed_in().actor
        self.actor = actor
        async with self.watch.drawing():
            await self.render()

    async def edit(self) -> None:
        partner = await onboarding.onboarding(self.actor, self.partner_id)
        if await edit_profile(partner.partner):
            flash.reload()

    async def export_trail(self) -> None:
        export = await perform(lambda actor: trail_export.export_onboarding_trail(actor, self.partner_id))
        if export is not None:
            # The BOM tells spreadsheet programs the file is UTF-8.
            ui.download.content(export.csv_text.encode("utf-8-sig"), export.file_name, "text/csv")
            ui.notify(
                f"Exported the onboarding trail to {export.file_name} ({len(export.evidence)} evidence "
                f"file{'s' if len(export.evidence) != 1 else ''} cited).",
                type="positive",
            )

    async def export_bundle(self) -> None:
        bundle = await perform(lambda actor: trail_export.export_onboarding_bundle(actor, self.partner_id))
        if bundle is not None:
            file_name, content = bundle
            ui.download.content(content, file_name, "application/zip")
            ui.notify(f"Exported the trail with its evidence files to {file_name}.", type="positive")


async def partner_page(partner_id: str) -> None:
    actor = signed_in().actor
    try:
        view = await onboarding.onboarding(actor, uuid.UUID(partner_id))
    except (ValueError, NotFound):
        with frame("Partner not found"):
            ui.label(f"There is no partner with id {partner_id}.").classes("text-body1").mark("partner-not-found")
            ui.link("Back to partners", navigation.PARTNERS.path)
        return
    await PartnerPage(actor, view.partner.id).build(view)
