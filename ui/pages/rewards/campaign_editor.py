"""The campaign editor: what a campaign rewards (offers or points), when, with whose approval and
within which limits (maximum count, budget, per-person caps over an optional rolling window), its
status, and its live counters and issuances. The service checks everything; its errors sit under
the fields."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from nicegui import ui

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import TRANSITIONS, CampaignInput
from backend.campaigns.views import ACTIVE, AUTO, ENDED, OFFERS, PAUSED, CampaignView
from backend.catalog.services import offers as catalog_offers
from backend.catalog.services.offers import OfferFilter
from backend.catalog.views import RETIRED
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError, FieldError, NotFound
from backend.recipients import service as recipients
from ui import navigation
from ui.components.action import perform, show_errors
from ui.components.dialogs import confirm
from ui.navigation import Destination
from ui.pages.catalog.amounts import major, to_minor, units_hint
from ui.pages.catalog.words import currency_options
from ui.pages.rewards.campaign_counters import counters
from ui.pages.rewards.campaign_issuances import campaign_issuances
from ui.pages.rewards.campaigns_list import campaign_url
from ui.pages.rewards.words import (
    APPROVAL_MODES,
    CAMPAIGN_STATUS_COLOURS,
    CAMPAIGN_STATUSES,
    CHANNELS,
    REWARD_TYPES,
    recipient_cap,
)
from ui.session import signed_in
from ui.theme import frame

NEW_CAMPAIGN = Destination("Rewards", "New campaign", f"{navigation.CAMPAIGNS.path}/new", "add", Permission.CAMPAIGNS_WRITE)
MOMENT_FORMAT = "%Y-%m-%d %H:%M"
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


def moment_text(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime(MOMENT_FORMAT) if value else ""


def read_moment(text: str, field: str, errors: list[FieldError]) -> datetime | None:
    try:
        return datetime.strptime((text or "").strip(), MOMENT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        try:
            return datetime.strptime((text or "").strip(), "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            errors.append(FieldError(field, "INVALID_DATE", "write it as YYYY-MM-DD HH:MM (UTC)"))
            return None


def whole(value) -> int | None:
    """A number field's value as the whole number it shows (NiceGUI hands floats), or None when empty."""
    if value is None or value == "":
        return None
    return int(value) if isinstance(value, float) and value.is_integer() else value


class CampaignForm:
    """The fields of a campaign; ``entered()`` reads them into a CampaignInput (or field errors)."""

    def __init__(
        self, campaign: CampaignView | None, programmes: dict[str, str], offer_choices: dict[str, str], programme: str | None
    ) -> None:
        c = campaign
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        currency = (c.currency if c else None) or "INR"
        self.stored_currency = currency
        with (
            ui.element("div")
            .classes("w-full grid gap-4 items-start")
            .style("grid-template-columns: minmax(0, 1fr) minmax(0, 1fr)")
        ):
            with ui.card().classes("mb-card q-pa-md gap-3 w-full").mark("campaign-form"):
                ui.label("What and when").classes("text-subtitle1 text-weight-medium")
                chosen = str(c.programme_id) if c else (programme if programme in programmes else next(iter(programmes), None))
                self.programme = (
                    ui.select(programmes, label="Programme", value=chosen, with_input=True)
                    .props("outlined options-dense")
                    .classes("w-full")
                    .mark("campaign-programme")
                )
                self.name = ui.input("Name", value=c.name if c else "").props("outlined").classes("w-full").mark("campaign-name")
                self.description = (
                    ui.textarea("Description", value=c.description if c else "")
                    .props("outlined autogrow")
                    .classes("w-full")
                    .mark("campaign-description")
                )
                with ui.grid(columns=2).classes("w-full gap-3"):
                    self.starts_at = (
                        ui.input("Starts (UTC)", value=moment_text(c.starts_at if c else now), placeholder="YYYY-MM-DD HH:MM")
                        .props("outlined")
                        .mark("campaign-starts")
                    )
                    self.ends_at = (
                        ui.input(
                            "Ends (UTC)",
                            value=moment_text(c.ends_at if c else now + timedelta(days=30)),
                            placeholder="YYYY-MM-DD HH:MM",
                        )
                        .props("outlined")
                        .mark("campaign-ends")
                    )
                ui.label("Rewards").classes("text-subtitle1 text-weight-medium q-mt-sm")
                self.reward_type = (
                    ui.radio(REWARD_TYPES, value=c.reward_type if c else OFFERS, on_change=self._type_changed)
                    .props("inline")
                    .mark("campaign-reward-type")
                )
                with ui.column().classes("w-full gap-3") as self.offers_part:
                    self.currency = (
                        ui.select(currency_options(), label="Currency", value=currency, with_input=True)
                        .props("outlined options-dense")
                        .classes("w-full")
                        .mark("campaign-currency")
                    )
                    self.offers = (
                        ui.select(
                            offer_choices,
                            label="Allowed offers",
                            multiple=True,
                            with_input=True,
                            value=[str(o) for o in c.allowed_offer_ids] if c else [],
                        )
                        .props("outlined options-dense use-chips")
                        .classes("w-full")
                        .mark("campaign-offers")
                    )
                with ui.column().classes("w-full gap-1") as self.points_part:
                    self.points_value = (
                        ui.number("Points per reward (empty: any)", value=c.points_value if c else None, min=1, precision=0)
                        .props("outlined")
                        .classes("w-full")
                        .mark("campaign-points-value")
                    )
                self.channel = (
                    ui.select(CHANNELS, label="Default delivery channel", value=c.default_channel if c else "email")
                    .props("outlined options-dense")
                    .classes("w-full")
                    .mark("campaign-channel")
                )
                self.strict_upload_columns = ui.checkbox(
                    "Bulk files: refuse columns other than the template's (otherwise they are ignored and named in the review)",
                    value=c.strict_upload_columns if c else False,
                ).mark("campaign-strict-upload-columns")
            with ui.card().classes("mb-card q-pa-md gap-3 w-full").mark("campaign-governance"):
                ui.label("Approval").classes("text-subtitle1 text-weight-medium")
                self.approval_mode = ui.radio(APPROVAL_MODES, value=c.approval_mode if c else AUTO).mark("campaign-approval-mode")
                ui.label("Limits").classes("text-subtitle1 text-weight-medium q-mt-sm")
                with ui.grid(columns=2).classes("w-full gap-3"):
                    self.max_rewards = (
                        ui.number("Maximum rewards (empty: no limit)", value=c.max_rewards if c else None, min=1, precision=0)
                        .props("outlined")
                        .mark("campaign-max-rewards")
                    )
                    self.budget = (
                        ui.input("Budget (empty: no limit)", value=self._money_text(c, c.budget if c else None))
                        .props("outlined")
                        .mark("campaign-budget")
                    )
                self.budget_unit = ui.label().classes("mb-muted text-caption")
                ui.label("Per person").classes("text-subtitle1 text-weight-medium q-mt-sm")
                with ui.grid(columns=3).classes("w-full gap-3"):
                    self.recipient_max_count = (
                        ui.number("At most … rewards", value=c.recipient_max_count if c else None, min=1, precision=0)
                        .props("outlined")
                        .mark("campaign-recipient-count")
                    )
                    self.recipient_max_value = (
                        ui.input("Worth at most", value=self._money_text(c, c.recipient_max_value if c else None))
                        .props("outlined")
                        .mark("campaign-recipient-value")
                    )
                    self.recipient_window_days = (
                        ui.number("In any … days", value=c.recipient_window_days if c else None, min=1, precision=0)
                        .props("outlined")
                        .mark("campaign-window-days")
                    )
                ui.label(
                    "e.g. 3 rewards in any 30 days; no days: over the whole campaign; no caps: no per-person limit."
                ).classes("mb-muted text-caption")
        self.currency.on_value_change(self._type_changed)
        self._type_changed()

    @staticmethod
    def _money_text(campaign: CampaignView | None, value: int | None) -> str:
        if value is None or campaign is None:
            return ""
        return major(value, campaign.currency) if campaign.currency else str(value)

    def _type_changed(self) -> None:
        offers = self.reward_type.value == OFFERS
        self.offers_part.set_visibility(offers)
        self.points_part.set_visibility(not offers)
        self.budget_unit.text = (
            units_hint(self.currency.value) if offers else "Budget and per-person value are counted in points."
        )

    @property
    def fields(self) -> dict:
        return {
            "programme_id": self.programme,
            "name": self.name,
            "description": self.description,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "reward_type": self.reward_type,
            "allowed_offer_ids": self.offers,
            "currency": self.currency,
            "points_value": self.points_value,
            "approval_mode": self.approval_mode,
            "max_rewards": self.max_rewards,
            "budget": self.budget,
            "recipient_max_count": self.recipient_max_count,
            "recipient_max_value": self.recipient_max_value,
            "recipient_window_days": self.recipient_window_days,
            "default_channel": self.channel,
        }

    def entered(self) -> CampaignInput:
        """The form as the service's input; DomainError (field errors) for what cannot even be read."""
        errors: list[FieldError] = []
        offers = self.reward_type.value == OFFERS
        currency = (self.currency.value or "") if offers else None

        def value_of(element: ui.input, field: str) -> int | None:
            text = (element.value or "").strip()
            if not text:
                return None
            try:
                return to_minor(text, currency) if offers else int(text.replace(",", ""))
            except ValueError as error:
                message = str(error) if offers else f"“{text}” is not a whole number of points"
                errors.append(FieldError(field, "INVALID_AMOUNT", message))
                return None

        starts_at = read_moment(self.starts_at.value, "starts_at", errors)
        ends_at = read_moment(self.ends_at.value, "ends_at", errors)
        budget = value_of(self.budget, "budget")
        recipient_max_value = value_of(self.recipient_max_value, "recipient_max_value")
        programme_id = None
        try:
            programme_id = uuid.UUID(self.programme.value or "")
        except ValueError:
            errors.append(FieldError("programme_id", "REQUIRED", "choose the programme this campaign rewards in"))
        if errors:
            raise DomainError(errors)
        return CampaignInput(
            programme_id=programme_id,
            name=self.name.value or "",
            starts_at=starts_at,
            ends_at=ends_at,
            reward_type=self.reward_type.value,
            allowed_offer_ids=[uuid.UUID(o) for o in self.offers.value or []] if offers else [],
            points_value=None if offers else whole(self.points_value.value),
            currency=currency,
            approval_mode=self.approval_mode.value,
            max_rewards=whole(self.max_rewards.value),
            budget=budget,
            recipient_max_count=whole(self.recipient_max_count.value),
            recipient_max_value=recipient_max_value,
            recipient_window_days=whole(self.recipient_window_days.value),
            default_channel=self.channel.value or "",
            description=self.description.value or "",
            strict_upload_columns=bool(self.strict_upload_columns.value),
        )


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
                    ui.badge(CAMPAIGN_STATUSES[campaign.status], color=CAMPAIGN_STATUS_COLOURS[campaign.status]).classes(
                        "q-px-md q-py-sm text-body2"
                    ).mark("campaign-status")
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
                        for status, allowed_from in TRANSITIONS.items():
                            if campaign.status in allowed_from:
                                label, icon, colour, _ = STATUS_ACTIONS[status]
                                ui.button(label, icon=icon, on_click=lambda s=status: self.change_status(s)).props(
                                    f"outline no-caps color={colour}"
                                ).mark(f"status-{status}")
                if can_write and not (campaign and campaign.status == ENDED):
                    ui.button("Save campaign" if campaign else "Create campaign", icon="save", on_click=self.save).props(
                        "unelevated no-caps"
                    ).mark("save-campaign")
            ui.link("← All campaigns", navigation.CAMPAIGNS.path).classes("text-primary text-body2")
            if campaign:
                counters(campaign)
            self.form = CampaignForm(campaign, self.programmes, self.offer_choices, self.programme)
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
                ui.navigate.to(campaign_url(created.id))
            return
        saved = await perform(
            lambda actor: campaigns.update_campaign(actor, self.campaign.id, data),
            fields=self.form.fields,
            done=lambda c: f"Saved {c.name}.",
        )
        if saved is not None:
            ui.navigate.reload()

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
            ui.navigate.reload()


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
