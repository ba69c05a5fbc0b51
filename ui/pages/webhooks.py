"""Webhooks: the endpoints integrators gave us (add one, its secret shown once; enable, disable,
rotate the secret), every delivery with its attempts, the failures, and replay."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor
from backend.webhooks.policy import DEFAULT_POLICY
from backend.webhooks.services import deliveries, endpoints
from backend.webhooks.services.deliveries import DeliveryFilter
from backend.webhooks.topics import TOPICS
from backend.webhooks.views import FAILED, STATUSES, AttemptView, DeliveryView, EndpointView
from ui import navigation
from ui.auth import console_page
from ui.components.action import perform
from ui.components.dialogs import ask, confirm
from ui.components.display import EMPTY, when
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
from ui.components.secret_once import show_secret_once
from ui.session import signed_in
from ui.theme import frame

TABS = {"endpoints": "Endpoints", "deliveries": "Deliveries", "failures": "Failures"}
STATUS_COLOURS = {"pending": "primary", "delivering": "secondary", "succeeded": "positive", "failed": "negative"}

ENDPOINT_COLUMNS = [
    Column("url", "URL", ellipsis=True),
    Column("description", "Description", wrap=True),
    Column("topics", "Topics"),
    Column("secret", "Signing secret"),
    Column("created_at", "Created"),
    Column("status", "Status", badge=True),
]
ENDPOINT_ACTIONS = [
    RowAction("disable", "Disable", "pause_circle", "negative"),
    RowAction("enable", "Enable", "play_circle", "positive"),
    RowAction("rotate", "Rotate secret", "autorenew"),
]
DELIVERY_COLUMNS = [
    Column("created_at", "Created"),
    Column("endpoint", "Endpoint", ellipsis=True),
    Column("status", "Status", badge=True),
    Column("attempts", "Attempts", align="right"),
    Column("last_result", "Last result", ellipsis=True),
]
DELIVERY_ACTIONS = [RowAction("attempts", "Attempts", "list"), RowAction("replay", "Replay", "replay")]


def _endpoint_row(endpoint: EndpointView) -> dict:
    return {
        "id": str(endpoint.id),
        "url": endpoint.url,
        "description": endpoint.description or EMPTY,
        "topics": ", ".join(endpoint.topics),
        "secret": endpoint.secret_hint,
        "created_at": when(endpoint.created_at),
        "status": "Enabled" if endpoint.enabled else "Disabled",
        "status_colour": "positive" if endpoint.enabled else "grey-7",
        "actions": ["disable" if endpoint.enabled else "enable", "rotate"],
    }


def _last_result(delivery: DeliveryView) -> str:
    result = delivery.last_error or (f"HTTP {delivery.last_status_code}" if delivery.last_status_code else "")
    if delivery.status == "pending" and delivery.next_attempt_at:
        result = " · ".join(filter(None, [result, f"next try {when(delivery.next_attempt_at)}"]))
    return result or EMPTY


def _delivery_row(delivery: DeliveryView) -> dict:
    return {
        "id": str(delivery.id),
        "created_at": when(delivery.created_at),
        "endpoint": delivery.endpoint_url,
        "status": delivery.status,
        "status_colour": STATUS_COLOURS[delivery.status],
        "attempts": str(delivery.attempts) + (f" (replay {delivery.series - 1})" if delivery.series > 1 else ""),
        "last_result": _last_result(delivery),
        "actions": ["attempts", "replay"] if delivery.replayable else ["attempts"],
    }


def _attempt_row(attempt: AttemptView) -> dict:
    return {
        "number": f"{attempt.series}.{attempt.number}",
        "started_at": when(attempt.started_at),
        "duration": f"{attempt.duration_ms} ms",
        "status_code": attempt.status_code or EMPTY,
        "result": "delivered" if attempt.succeeded else attempt.error or EMPTY,
        "response": attempt.response_excerpt or EMPTY,
        "retry_at": when(attempt.next_attempt_at) if attempt.next_attempt_at else EMPTY,
    }


async def _fetch_endpoints(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    page = await endpoints.list_endpoints(actor, offset=request.offset, limit=request.limit)
    return [_endpoint_row(endpoint) for endpoint in page.rows], page.total


def _deliveries_fetch(fixed_status: str | None):
    async def fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        wanted = request.filters
        endpoint = wanted.get("endpoint")
        page = await deliveries.list_deliveries(
            actor,
            DeliveryFilter(
                status=fixed_status or wanted.get("status"),
                endpoint_id=uuid.UUID(endpoint) if endpoint else None,
                since=request.day("since"),
                until=request.day("until", end=True),
            ),
            offset=request.offset,
            limit=request.limit,
        )
        return [_delivery_row(delivery) for delivery in page.rows], page.total

    return fetch


class WebhooksPage:
    def __init__(self) -> None:
        self.tables: dict[str, PagedTable] = {}

    async def build(self, tab: str, status: str | None) -> None:
        tab = tab if tab in TABS else "endpoints"
        endpoint_choices = {str(e.id): e.url for e in (await endpoints.list_endpoints(signed_in().actor, limit=200)).rows}
        with frame(
            navigation.WEBHOOKS.label,
            "Signed notifications to integrators' systems, such as balance sync to the loyalty platform (Standard Webhooks)",
        ) as page:
            with page.actions:
                ui.button("New endpoint", icon="add", on_click=self.create_endpoint).props("unelevated no-caps").mark(
                    "new-endpoint"
                )
            with ui.tabs(value=tab).props("align=left no-caps").classes("text-primary") as tabs:
                for name, label in TABS.items():
                    ui.tab(name, label).mark(f"tab-{name}")
            with ui.tab_panels(tabs, value=tab).classes("w-full bg-transparent"):
                with ui.tab_panel("endpoints").classes("q-px-none"):
                    self.tables["endpoints"] = PagedTable(
                        ENDPOINT_COLUMNS,
                        _fetch_endpoints,
                        actions=ENDPOINT_ACTIONS,
                        on_action=self.act_on_endpoint,
                        empty_text="No endpoints yet: add the URL an integrator gave you",
                        marker="endpoints-table",
                    )
                with ui.tab_panel("deliveries").classes("q-px-none"):
                    table = self._deliveries_table("deliveries-table", None, "No deliveries match these filters")
                    table.select_filter(
                        "status", "Status", list(STATUSES), value=status if status in STATUSES else None, width="w-40"
                    )
                    self._common_filters(table, endpoint_choices)
                with ui.tab_panel("failures").classes("q-px-none"):
                    ui.label(
                        "Deliveries parked after their last attempt, or stopped when their endpoint was disabled. "
                        "Fix the receiver, then replay them."
                    ).classes("mb-muted text-body2")
                    self._common_filters(
                        self._deliveries_table("failures-table", FAILED, "No failed deliveries"), endpoint_choices
                    )
            for table in self.tables.values():
                await table.reload()

    def _deliveries_table(self, marker: str, fixed_status: str | None, empty_text: str) -> PagedTable:
        table = PagedTable(
            DELIVERY_COLUMNS,
            _deliveries_fetch(fixed_status),
            actions=DELIVERY_ACTIONS,
            on_action=self.act_on_delivery,
            empty_text=empty_text,
            marker=marker,
        )
        self.tables[marker] = table
        return table

    @staticmethod
    def _common_filters(table: PagedTable, endpoint_choices: dict[str, str]) -> None:
        table.select_filter("endpoint", "Endpoint", endpoint_choices, width="w-72")
        table.date_filter("since", "From")
        table.date_filter("until", "To (inclusive)")

    async def _reload(self) -> None:
        for table in self.tables.values():
            await table.reload(first_page=False)

    # ------------------------------------------------------------ endpoints

    async def create_endpoint(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[560px] gap-3").mark("new-endpoint-dialog"):
            ui.label("New webhook endpoint").classes("text-h6")
            url = (
                ui.input("URL", placeholder="https://loyalty.example.com/webhooks/mirabelle")
                .props("outlined")
                .classes("w-full")
                .mark("endpoint-url")
            )
            description = (
                ui.input("Description", placeholder="e.g. Balance sync to the loyalty platform")
                .props("outlined")
                .classes("w-full")
                .mark("endpoint-description")
            )
            ui.label("Topics: what to send there").classes("text-body2 text-weight-medium")
            topics = {
                topic: ui.checkbox(f"{topic} — {meaning}").props("dense").mark(f"topic-{topic}")
                for topic, meaning in TOPICS.items()
            }

            async def save() -> None:
                created = await perform(
                    lambda actor: endpoints.create_endpoint(
                        actor, url.value or "", [t for t, box in topics.items() if box.value], description.value or ""
                    ),
                    fields={"url": url, "description": description},
                    done=lambda created: f"Added the endpoint {created[0].url}.",
                )
                if created is not None:
                    dialog.submit(created)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
                ui.button("Add endpoint", on_click=save).props("unelevated no-caps").mark("create-endpoint")
        created = await ask(dialog)
        if created:
            await self._reload()
            await self._show_secret(*created, "Endpoint added: its signing secret")

    @staticmethod
    async def _show_secret(endpoint: EndpointView, secret: str, title: str) -> None:
        await show_secret_once(
            title=title,
            secret=secret,
            secret_marker="webhook-secret",
            icon="webhook",
            warning="Copy this signing secret now and give it to the receiver's team. It will not be shown again: "
            "Mirabelle keeps it only encrypted. If it is lost, rotate it.",
            usage=f"Webhooks to {endpoint.url} carry webhook-id, webhook-timestamp and webhook-signature headers "
            "(Standard Webhooks: v1, HMAC-SHA256 of id.timestamp.body with this secret).",
        )

    async def act_on_endpoint(self, action: str, row: dict) -> None:
        endpoint_id = uuid.UUID(row["id"])
        if action == "enable":
            await perform(
                lambda actor: endpoints.set_enabled(actor, endpoint_id, True),
                done=lambda result: f"Enabled {result[0].url}: new events are delivered to it again.",
            )
        elif action == "disable" and await confirm(
            f"Disable {row['url']}?",
            "No new deliveries are made for it, and its pending deliveries are stopped (parked as failed, so you "
            "can replay them after enabling it again).",
            confirm_label="Disable endpoint",
            danger=True,
        ):
            await perform(
                lambda actor: endpoints.set_enabled(actor, endpoint_id, False),
                done=lambda result: f"Disabled {result[0].url}; {result[1]} pending deliveries stopped.",
            )
        elif action == "rotate" and await confirm(
            f"Rotate the signing secret of {row['url']}?",
            "A new secret is made and shown once. Every webhook to this endpoint is signed with it from now on: "
            "the receiver rejects them until it has the new secret.",
            confirm_label="Rotate secret",
            danger=True,
        ):
            rotated = await perform(
                lambda actor: endpoints.rotate_secret(actor, endpoint_id),
                done=lambda result: f"Rotated the signing secret of {result[0].url}.",
            )
            if rotated is not None:
                await self._reload()
                await self._show_secret(*rotated, "New signing secret")
            return
        await self._reload()

    # ------------------------------------------------------------ deliveries

    async def act_on_delivery(self, action: str, row: dict) -> None:
        delivery_id = uuid.UUID(row["id"])
        if action == "attempts":
            await self._show_attempts(delivery_id)
        elif action == "replay":
            await self._replay(delivery_id)

    async def _show_attempts(self, delivery_id: uuid.UUID) -> None:
        found = await perform(lambda actor: _delivery_with_attempts(actor, delivery_id))
        if found is None:
            return
        delivery, attempts = found
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[980px] max-w-[95vw]").mark("attempts-dialog"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label(f"Attempts: {delivery.topic} to {delivery.endpoint_url}").classes("text-h6")
                ui.button(icon="close", on_click=lambda: dialog.submit(None)).props("flat round dense")
            ui.label(
                f"Event {delivery.event_id} · now {delivery.status}. A replay starts a new series: 2.1 is the first "
                "try of the first replay."
            ).classes("mb-muted text-caption")
            ui.table(
                columns=[
                    {"name": name, "label": label, "field": name, "align": "left"}
                    for name, label in (
                        ("number", "Series.try"),
                        ("started_at", "Started"),
                        ("duration", "Took"),
                        ("status_code", "HTTP"),
                        ("result", "Result"),
                        ("response", "Response (start)"),
                        ("retry_at", "Retry at"),
                    )
                ],
                rows=[_attempt_row(attempt) for attempt in attempts],
                row_key="number",
            ).classes("w-full mb-table").props('flat dense hide-bottom no-data-label="No attempt yet"').mark("attempts-table")
        await ask(dialog)

    async def _replay(self, delivery_id: uuid.UUID) -> None:
        delivery = await perform(lambda actor: deliveries.get_delivery(actor, delivery_id))
        if delivery is None or not await confirm(
            "Replay this delivery?",
            f"Mirabelle will send the {delivery.topic} event {delivery.event_id} to {delivery.endpoint_url} again, as a new "
            f"series of up to {DEFAULT_POLICY.max_attempts} attempts signed with the endpoint's current secret. Its "
            f"{delivery.attempts} earlier attempt(s) stay on record. The receiver gets the same webhook-id, so it may "
            "ignore a message it has already processed.",
            confirm_label="Replay",
        ):
            return
        await perform(
            lambda actor: deliveries.replay(actor, delivery_id),
            done=lambda replayed: (
                f"Replay queued: the delivery to {replayed.endpoint_url} is pending again "
                f"(replay {replayed.series - 1}); the worker sends it shortly."
            ),
        )
        await self._reload()


async def _delivery_with_attempts(actor: Actor, delivery_id: uuid.UUID) -> tuple[DeliveryView, list[AttemptView]]:
    return await deliveries.get_delivery(actor, delivery_id), await deliveries.list_attempts(actor, delivery_id)


async def webhooks_page(tab: str = "endpoints", status: str | None = None) -> None:
    await WebhooksPage().build(tab, status)


def register() -> None:
    console_page(navigation.WEBHOOKS)(webhooks_page)
