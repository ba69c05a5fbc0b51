"""The outbox: events the worker gave up on after its last attempt (a handler that kept failing),
and replaying them once the cause is fixed — one, or all of them. The same service as
``mirabelle outbox replay``."""

from __future__ import annotations

import json
import uuid

from nicegui import ui

from backend.core import outbox
from backend.core.authz import Actor
from backend.core.outbox import EventView
from ui import navigation
from ui.auth import console_page
from ui.components.action import perform
from ui.components.dialogs import confirm
from ui.components.display import EMPTY, when
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
from ui.theme import frame

STATUS_COLOURS = {outbox.PENDING: "primary", outbox.DONE: "positive", outbox.FAILED: "negative"}
COLUMNS = [
    Column("created_at", "Created"),
    Column("topic", "Topic"),
    Column("status", "Status", badge=True),
    Column("attempts", "Attempts", align="right"),
    Column("last_error", "Last error", ellipsis=True),
    Column("payload", "Payload", ellipsis=True),
]
ACTIONS = [RowAction("replay", "Replay", "replay")]


def _row(event: EventView) -> dict:
    return {
        "id": str(event.id),
        "created_at": when(event.created_at),
        "topic": event.topic,
        "status": event.status,
        "status_colour": STATUS_COLOURS[event.status],
        "attempts": str(event.attempts),
        "last_error": event.last_error or EMPTY,
        "payload": json.dumps(event.payload, ensure_ascii=False),
        "actions": ["replay"] if event.status == outbox.FAILED else [],
    }


async def _fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    page = await outbox.list_events(actor, request.filters.get("status"), offset=request.offset, limit=request.limit)
    return [_row(event) for event in page.rows], page.total


class OutboxPage:
    table: PagedTable

    async def build(self, status: str | None) -> None:
        status = status if status in outbox.STATUSES else outbox.FAILED
        with frame(
            navigation.OUTBOX.label,
            "Events that carry a change to the worker (webhooks, deliveries). Those it gave up on wait here for a replay.",
        ) as page:
            with page.actions:
                ui.button("Replay all failed", icon="replay", on_click=self.replay_all).props("unelevated no-caps").mark(
                    "replay-all"
                )
            ui.label(
                f"An event is parked as failed after {outbox.MAX_ATTEMPTS} attempts; its last error says why. "
                "Fix the cause, then replay it: it is tried again from the start."
            ).classes("mb-muted text-body2")
            self.table = PagedTable(
                COLUMNS, _fetch, actions=ACTIONS, on_action=self.act, empty_text="No events match", marker="outbox-table"
            )
            self.table.select_filter("status", "Status", list(outbox.STATUSES), value=status, width="w-40")
        await self.table.reload()

    async def act(self, action: str, row: dict) -> None:
        if action == "replay" and await confirm(
            "Replay this event?",
            f"The {row['topic']} event {row['id']} goes back to the worker for a new round of up to "
            f"{outbox.MAX_ATTEMPTS} attempts. Its failure stays in the audit log.",
            confirm_label="Replay",
        ):
            await self._replay([uuid.UUID(row["id"])])

    async def replay_all(self) -> None:
        failed = await perform(lambda actor: outbox.list_events(actor, outbox.FAILED, limit=1))
        if failed is None:
            return
        if failed.total == 0:
            ui.notify("No failed events to replay.", type="info")
            return
        if await confirm(
            f"Replay all {failed.total} failed events?",
            f"Each goes back to the worker for a new round of up to {outbox.MAX_ATTEMPTS} attempts, in the order they "
            "were written. Do this once the cause of their failure is fixed, or they fail again.",
            confirm_label="Replay all",
        ):
            await self._replay(None)

    async def _replay(self, event_ids: list[uuid.UUID] | None) -> None:
        await perform(
            lambda actor: outbox.replay(actor, event_ids, all_failed=event_ids is None),
            done=lambda replayed: f"Replayed {len(replayed.event_ids)} event(s): pending again, the worker runs them shortly.",
        )
        await self.table.reload(first_page=False)


async def outbox_page(status: str | None = None) -> None:
    await OutboxPage().build(status)


def register() -> None:
    console_page(navigation.OUTBOX)(outbox_page)
