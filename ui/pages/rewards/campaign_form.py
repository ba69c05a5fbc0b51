"""The fields of a campaign, and reading them back into the service's input: amounts in the
campaign's currency (or points), moments on the person's clock (stored in UTC)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from nicegui import ui

from backend.campaigns.services.campaigns import CampaignInput
from backend.campaigns.views import AUTO, OFFERS, CampaignView
from backend.core.errors import DomainError, FieldError
from ui.components.local_time import MomentInput
from ui.pages.catalog.amounts import major, to_minor, units_hint
from ui.pages.catalog.words import currency_options
from ui.pages.channel_words import CHANNELS
from ui.pages.rewards.words import APPROVAL_MODES, REWARD_TYPES
from ui.session import time_zone


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
        now = datetime.now(time_zone()).replace(minute=0, second=0, microsecond=0)  # a round hour on their clock
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
                    self.starts_at = MomentInput("Starts", c.starts_at if c else now).props("outlined").mark("campaign-starts")
                    self.ends_at = (
                        MomentInput("Ends", c.ends_at if c else now + timedelta(days=30)).props("outlined").mark("campaign-ends")
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

    @property
    def elements(self) -> list[ui.element]:
        """Every input of the form (for read-only and the unsaved-changes guard)."""
        return [*self.fields.values(), self.strict_upload_columns]

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

        starts_at = self.starts_at.moment("starts_at", errors)
        ends_at = self.ends_at.moment("ends_at", errors)
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
