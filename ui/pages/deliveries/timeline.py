"""One reward's delivery timeline: the reward and its recipient, where its delivery stands, and every
attempt in order (channel, provider, status, error and latency), so an admin sees why it failed and
whether a fix took."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.campaigns.services import campaigns
from backend.core.authz import Actor, Permission
from backend.core.errors import NotFound
from backend.deliveries.services import timeline
from backend.deliveries.services.timeline import TimelineEntry
from backend.deliveries.views import FAILED, AttemptView, DeliveryView
from backend.recipients import services as recipients
from backend.rewards.services import issuances
from ui import navigation
from ui.components import flash
from ui.components.action import sentence
from ui.components.display import EMPTY, when
from ui.components.status_badge import status_badge
from ui.pages.deliveries.resend import ask_fix, resend_summary
from ui.pages.deliveries.words import (
    ATTEMPT_STATUS_COLOURS,
    ATTEMPT_STATUSES,
    DELIVERY_STATUS_COLOURS,
    DELIVERY_STATUSES,
    channel_name,
    failure_reason,
    provider_name,
)
from ui.pages.rewards.campaigns_list import campaign_url
from ui.pages.rewards.words import amount
from ui.session import signed_in
from ui.theme import frame

TIMELINE_PATH = f"{navigation.DELIVERIES.path}/rewards"
ATTEMPT_COLUMNS = [
    {"name": "number", "label": "#", "field": "number", "align": "right"},
    {"name": "started_at", "label": "When", "field": "started_at", "align": "left"},
    {"name": "channel", "label": "Channel", "field": "channel", "align": "left"},
    {"name": "provider", "label": "Provider", "field": "provider", "align": "left"},
    {"name": "status", "label": "Outcome", "field": "status", "align": "left"},
    {"name": "error", "label": "Error", "field": "error", "align": "left", "style": "white-space: normal; max-width: 420px"},
    {"name": "latency", "label": "Latency", "field": "latency", "align": "right"},
    {"name": "retry_at", "label": "Retry due", "field": "retry_at", "align": "left"},
]


def timeline_url(issuance_id: object) -> str:
    return f"{TIMELINE_PATH}/{issuance_id}"


def attempt_row(attempt: AttemptView) -> dict:
    error = EMPTY
    if attempt.error_code:
        reason = failure_reason(attempt.error_code)  # words, never the raw code
        error = f"{reason}: {attempt.error_text}" if attempt.error_text else reason
    return {
        "id": attempt.number,
        "number": attempt.number,
        "started_at": when(attempt.started_at),
        "channel": channel_name(attempt.channel),
        "provider": f"{provider_name(attempt.provider)} ({attempt.provider_role})",
        "status": ATTEMPT_STATUSES.get(attempt.status, attempt.status),
        "colour": ATTEMPT_STATUS_COLOURS.get(attempt.status, "grey-7"),
        "error": error,
        "latency": f"{attempt.latency_ms:,} ms",
        "retry_at": when(attempt.retry_at) if attempt.retry_at else EMPTY,
    }


def _fact(label: str, value: str, marker: str | None = None) -> None:
    with ui.column().classes("gap-0"):
        ui.label(label).classes("text-caption mb-muted")
        shown = ui.label(value).classes("text-body1")
        if marker:
            shown.mark(marker)


def _delivery_card(delivery: DeliveryView) -> None:
    with ui.card().classes("mb-card q-pa-md w-full gap-3").mark("delivery-facts"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("local_shipping", color="primary")
            ui.label("Delivery").classes("text-subtitle1 text-weight-medium")
            status_badge(
                DELIVERY_STATUSES.get(delivery.status, delivery.status),
                DELIVERY_STATUS_COLOURS.get(delivery.status, "grey-7"),
                "delivery-status",
            )
        with ui.row().classes("gap-8"):
            _fact("Channel", channel_name(delivery.channel))
            _fact("Contact", delivery.contact or EMPTY, "delivery-contact")
            _fact("Provider", provider_name(delivery.provider))
            _fact("Attempts", f"{delivery.attempts:,}")
            _fact("Created", when(delivery.created_at))
            _fact("Delivered", when(delivery.sent_at))
        if delivery.status == FAILED and delivery.failure_reason:
            with ui.row().classes("items-center gap-2 no-wrap").mark("delivery-failure"):
                ui.icon("error", color="negative")
                ui.label(f"{failure_reason(delivery.failure_code)}: {sentence(delivery.failure_reason)}").classes("text-body2")


def _history_line(entry: TimelineEntry, attempts: dict[int, AttemptView]) -> tuple[str, str, str, str]:
    """An entry of the history in words: (title, text, icon, colour)."""
    detail = entry.detail or {}
    if entry.kind == "created":
        return "Delivery created", "The reward was issued and its delivery queued for the worker.", "add_circle", "primary"
    if entry.kind == "attempt" and detail.get("number") in attempts:
        attempt = attempts[detail["number"]]
        how = f"By {provider_name(attempt.provider)} ({attempt.provider_role}) on {channel_name(attempt.channel)}"
        if attempt.status == "sent":
            return f"Attempt {attempt.number}: accepted", f"{how}, in {attempt.latency_ms:,} ms.", "send", "positive"
        failed = (
            f"{failure_reason(attempt.error_code)}: {attempt.error_text}"
            if attempt.error_text
            else failure_reason(attempt.error_code)
        )
        title = f"Attempt {attempt.number}: {ATTEMPT_STATUSES.get(attempt.status, attempt.status).lower()}"
        colour = ATTEMPT_STATUS_COLOURS.get(attempt.status, "grey-7")
        return title, f"{how}, in {attempt.latency_ms:,} ms. {sentence(failed)}", "send", colour
    if entry.kind == "delivery.resent" and detail.get("channel"):
        return (
            "Resent",
            f"Sent again by {channel_name(detail['channel'])} to {detail.get('contact') or EMPTY}.",
            "replay",
            "secondary",
        )
    if entry.kind == "delivery.failed":
        return "Flagged as failed", sentence(entry.summary), "error", "negative"
    return entry.kind, sentence(entry.summary), "circle", "grey-7"


def _history(entries: list[TimelineEntry], attempts: list[AttemptView]) -> None:
    """Everything that happened to the delivery, oldest first: created, each attempt, failures and resends (by whom)."""
    by_number = {attempt.number: attempt for attempt in attempts}
    with ui.row().classes("items-center gap-2 q-mt-md"):
        ui.icon("history", color="primary")
        ui.label("History").classes("text-subtitle1 text-weight-medium")
    ui.add_css(".mb-history .q-timeline__title { font-size: 15px; font-weight: 500; margin-bottom: 2px; }")
    with ui.timeline(side="right", layout="dense").classes("mb-history q-pl-md").mark("delivery-history"):
        for entry in entries:
            title, text, icon, colour = _history_line(entry, by_number)
            by = "" if entry.actor_label == "system" else f" · by {entry.actor_label}"
            with ui.timeline_entry(title=title, subtitle=when(entry.at) + by, icon=icon, color=colour):
                ui.label(text).classes("text-body2")


def _attempts_table(attempts: list[AttemptView]) -> None:
    with ui.row().classes("items-center gap-2 q-mt-md"):
        ui.icon("timeline", color="primary")
        ui.label("Attempts").classes("text-subtitle1 text-weight-medium")
    table = (
        ui.table(columns=ATTEMPT_COLUMNS, rows=[attempt_row(a) for a in attempts], row_key="id")
        .classes("w-full mb-table")
        .props('flat dense hide-bottom no-data-label="No attempt yet: the worker has not sent it."')
        .mark("attempts-table")
    )
    table.add_slot(
        "body-cell-status",
        '<q-td :props="props"><q-badge outline rounded class="mb-status" :color="props.row.colour" :label="props.value" /></q-td>',
    )


async def _fix(delivery: DeliveryView, who: str) -> None:
    row = {
        "recipient": who,
        "failure": sentence(delivery.failure_reason or failure_reason(delivery.failure_code)),
        "channel_code": delivery.channel,
        "contact_raw": delivery.contact,
    }
    report = await ask_fix(row, delivery.id)
    if report is not None:
        message, kind = resend_summary(report)
        flash.say(message, type=kind)
        flash.reload()


async def delivery_timeline_page(issuance_id: str) -> None:
    actor: Actor = signed_in().actor
    try:
        reward = await issuances.get_issuance(actor, uuid.UUID(issuance_id))
    except (ValueError, NotFound):
        with frame("Reward not found"):
            ui.label(f"There is no reward with id {issuance_id}.").classes("text-body1").mark("reward-not-found")
            ui.link("Back to deliveries", navigation.DELIVERIES.path)
        return
    found = await timeline.delivery_timeline(actor, reward.id)
    delivery = found.delivery
    person = (await recipients.recipients_by_ids(actor, [reward.recipient_id])).get(reward.recipient_id)
    campaign = (await campaigns.campaigns_by_ids(actor, [reward.campaign_id])).get(reward.campaign_id)
    who = f"{person.full_name} ({person.external_id})" if person else str(reward.recipient_id)
    with frame(
        f"Delivery of {amount(reward.value, reward.currency)} to {who}",
        f"Issued {when(reward.issued_at or reward.created_at)}" + (f" under {campaign.name}" if campaign else ""),
    ) as page:
        if delivery is not None and delivery.status == FAILED and actor.can(Permission.DELIVERIES_WRITE):
            with page.actions:
                ui.button("Fix contact and resend", icon="edit", on_click=lambda: _fix(delivery, who)).props(
                    "unelevated no-caps"
                ).mark("timeline-fix")
        with ui.row().classes("gap-4"):
            ui.link("← Deliveries", navigation.DELIVERIES.path).classes("text-primary text-body2")
            if actor.can(Permission.RECIPIENTS_READ):
                ui.link("Recipient", f"{navigation.RECIPIENTS.path}/{reward.recipient_id}").classes("text-primary text-body2")
            if campaign:
                ui.link("Campaign", campaign_url(campaign.id)).classes("text-primary text-body2")
        if delivery is None:
            with ui.card().classes("mb-card q-pa-md w-full").mark("no-delivery"):
                ui.label("This reward has no delivery yet: it is created when the worker takes the reward's issued event.")
            return
        _delivery_card(delivery)
        _attempts_table(found.attempts)
        _history(found.entries, found.attempts)
