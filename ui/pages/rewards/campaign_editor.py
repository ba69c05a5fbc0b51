"""The campaign editor: what a campaign rewards (offers or points), when, with whose approval and
within which limits (maximum count, budget, per-person caps over an optional rolling window), its
status, and its live counters and issuances. The service checks everything; its errors sit under
the fields."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from nicegui import ui

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import TRANSITIONS
from backend.campaigns.views import ACTIVE, ENDED, PAUSED, CampaignView
from backend.catalog.services import offers as catalog_offers
from backend.catalog.services.offers import OfferFilter
from backend.catalog.views import RETIRED
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError, NotFound
from backend.recipients import services as recipients
from ui import navigation
from ui.components import flash
from ui.components.action import perform, show_errors
from ui.components.dialogs import confirm
from ui.components.editing import EditSwitch
from ui.components.flash import go
from ui.components.status_badge import status_badge
from ui.navigation import Destination
from ui.pages.rewards.campaign_counters import counters
from ui.pages.rewards.campaign_form import CampaignForm
from ui.pages.rewards.campaign_issuances import campaign_issuances
from ui.pages.rewards.campaigns_list import campaign_url
from ui.pages.rewards.words import (
    CAMPAIGN_STATUS_COLOURS,
    CAMPAIGN_STATUSES,
    REWARD_TYPES,
    recipient_cap,
)
from ui.session import signed_in
from ui.theme import frame

NEW_CAMPAIGN = Destination("Rewards", "New campaign", f"{navigation.CAMPAIGNS.path}/new", "add", Permission.CAMPAIGNS_WRITE)
MAX_CHOICES = 200
# What each status change is called on its button, and what it does, in the words of the person.
STATUS_ACTIONS = {
    ACTIVE: ("Activate", "play_circle", "positive", "Rewards can be issued between its start and end."),
    PAUSED: ("Pause", "pause_circle", "orange-8", "No issuance and no approval until it is activated again."),
    ENDED: (
        "End",
        "stop_circle",
        "negative",
        (
            "For good: an ended campaign issues nothing more and its rules no longer change. "
            "Rewards waiting for approval can then only be rejected."
        ),
    ),
}


class CampaignEditor:
    def __init__(
        self,
        actor: Actor,
        campaign: CampaignView | None,
        programmes: dict[str, str],
        offer_choices: dict[str, str],
        programme: str | None = None,
    ) -> None:
        self.actor, self.campaign, self.programmes, self.offer_choices, self.programme = (
            actor,
            campaign,
            programmes,
            offer_choices,
            programme,
        )

    async def build(self) -> None:
        campaign = self.campaign
        can_write = self.actor.can(Permission.CAMPAIGNS_WRITE)
        title = campaign.name if campaign else "New campaign"
        subtitle = (
            (
                f"{self.programmes.get(str(campaign.programme_id), '')} · {REWARD_TYPES[campaign.reward_type]} · "
                f"per person: {recipient_cap(campaign)} · created by {campaign.created_by_label}"
            )
            if campaign
            else "A draft until it is activated"
        )
        issuances = None
        with frame(title, subtitle) as page:
            with page.actions:
                if campaign:
                    status_badge(CAMPAIGN_STATUSES[campaign.status], CAMPAIGN_STATUS_COLOURS[campaign.status], "campaign-status")
                    if self.actor.can(Permission.REWARDS_WRITE) and campaign.status != ENDED:
                        ui.button(
                            "Upload rewards",
                            icon="upload_file",
                            on_click=lambda: ui.navigate.to(f"{navigation.UPLOADS.path}?{urlencode({'campaign': campaign.id})}"),
                        ).props("outline no-caps").mark("campaign-upload")
                    if campaign.pending_count and navigation.ISSUANCE_APPROVALS.open_to(self.actor):
                        ui.button(
                            f"Approve {campaign.pending_count:,} waiting",
                            icon="fact_check",
                            on_click=lambda: ui.navigate.to(
                                f"{navigation.ISSUANCE_APPROVALS.path}?{urlencode({'campaign': campaign.id})}"
                            ),
                        ).props("outline no-caps").mark("campaign-approvals")
                    if can_write:
                        moves = [status for status, allowed_from in TRANSITIONS.items() if campaign.status in allowed_from]
                        # Ending cannot be undone: it stands apart, far from Save, flat and behind a divider.
                        for status in sorted(moves, key=lambda s: s != ENDED):
                            label, icon, colour, _ = STATUS_ACTIONS[status]
                            ui.button(label, icon=icon, on_click=lambda s=status: self.change_status(s)).props(
                                f"{'flat' if status == ENDED else 'outline'} no-caps color={colour}"
                            ).mark(f"status-{status}")
                            if status == ENDED:
                                ui.separator().props("vertical").classes("q-mx-sm")
            ui.link("← All campaigns", navigation.CAMPAIGNS.path).classes("text-primary text-body2")
            if campaign:
                counters(campaign)
            self.form = CampaignForm(campaign, self.programmes, self.offer_choices, self.programme)
            # A campaign opens read-only (a support agent cannot type into it); Edit for those who may.
            self.switch = EditSwitch(
                self.form.elements,
                can_edit=can_write and not (campaign and campaign.status == ENDED),
                editing=campaign is None,
                on_save=self.save,
                on_cancel=flash.reload,
                save_label="Save campaign" if campaign else "Create campaign",
                save_marker="save-campaign",
                reason="Read only: an ended campaign does not change."
                if can_write
                else f"Read only: changing a campaign needs the permission “{Permission.CAMPAIGNS_WRITE.value}”.",
            )
            self.switch.build(page.actions)
            if campaign:
                issuances = campaign_issuances(campaign)
        if issuances is not None:
            await issuances.reload()

    async def save(self) -> None:
        try:
            data = self.form.entered()
        except DomainError as error:
            show_errors(error, self.form.fields)
            return
        if self.campaign is None:
            created = await perform(
                lambda actor: campaigns.create_campaign(actor, data),
                fields=self.form.fields,
                done=lambda c: f"Created the draft campaign {c.name}: activate it to start issuing.",
            )
            if created is not None:
                self.switch.guard.saved()
                go(campaign_url(created.id))
            return
        saved = await perform(
            lambda actor: campaigns.update_campaign(actor, self.campaign.id, data),
            fields=self.form.fields,
            done=lambda c: f"Saved {c.name}.",
        )
        if saved is not None:
            self.switch.guard.saved()
            flash.reload()

    async def change_status(self, status: str) -> None:
        label, _, _, effect = STATUS_ACTIONS[status]
        if not await confirm(f"{label} {self.campaign.name}?", effect, confirm_label=label, danger=status == ENDED):
            return
        action = {ACTIVE: campaigns.activate_campaign, PAUSED: campaigns.pause_campaign, ENDED: campaigns.end_campaign}[status]
        changed = await perform(
            lambda actor: action(actor, self.campaign.id),
            done=lambda c: f"{c.name} is now {CAMPAIGN_STATUSES[c.status].lower()}.",
        )
        if changed is not None:
            flash.reload()


async def _choices(actor: Actor) -> tuple[dict[str, str], dict[str, str]]:
    programmes = {
        str(p.id): f"{p.name} ({p.currency})" for p in (await recipients.list_programmes(actor, limit=MAX_CHOICES)).rows
    }
    offer_choices: dict[str, str] = {}
    if actor.can(Permission.CATALOG_READ):
        for offer in (await catalog_offers.list_offers(actor, OfferFilter(), limit=MAX_CHOICES)).rows:
            if offer.status != RETIRED:
                offer_choices[str(offer.id)] = f"{offer.code} · {offer.title} · {offer.partner_name} · {offer.currency}"
    return programmes, offer_choices


async def new_campaign_page(programme: str | None = None) -> None:
    actor = signed_in().actor
    programmes, offer_choices = await _choices(actor)
    if not programmes:
        with frame(NEW_CAMPAIGN.label):
            ui.label("There is no programme yet: a campaign rewards people in a programme.").classes("text-body1").mark(
                "no-programme"
            )
            ui.link("Create a programme", navigation.PROGRAMMES.path)
        return
    await CampaignEditor(actor, None, programmes, offer_choices, programme).build()


async def campaign_page(campaign_id: str) -> None:
    actor = signed_in().actor
    try:
        campaign = await campaigns.get_campaign(actor, uuid.UUID(campaign_id))
    except (ValueError, NotFound):
        with frame("Campaign not found"):
            ui.label(f"There is no campaign with id {campaign_id}.").classes("text-body1").mark("campaign-not-found")
            ui.link("Back to campaigns", navigation.CAMPAIGNS.path)
        return
    programmes, offer_choices = await _choices(actor)
    for offer_id in campaign.allowed_offer_ids:  # an allowed offer retired since stays visible
        offer_choices.setdefault(str(offer_id), str(offer_id))
    await CampaignEditor(actor, campaign, programmes, offer_choices).build()
