"""The probe: test-only outbox handlers whose effect is a row appended to ``outbox_probe_effects``.

The table has no key, so an effect applied twice shows up as a second row instead of being hidden
by a constraint. Markers (one file per event under ``MIRABELLE_TEST_MARKERS``, a line per mark)
let a test see what a worker *process* did outside the database: a handler starting, a job ending.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from piccolo.querystring import QueryString

from backend.core.db import current_engine
from backend.core.outbox import Event

PROBE_TABLE = "outbox_probe_effects"
MARKERS_ENV = "MIRABELLE_TEST_MARKERS"


async def create_probe_table() -> None:
    await current_engine().run_ddl(
        f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (event_id VARCHAR(64) NOT NULL, worker_pid INTEGER NOT NULL)"
    )


async def record_effect(event: Event) -> None:
    """The effect: runs inside process()'s transaction, so it commits with the "done" mark or not at all."""
    await current_engine().run_querystring(
        QueryString(f"INSERT INTO {PROBE_TABLE} (event_id, worker_pid) VALUES ({{}}, {{}})", str(event.id), os.getpid())
    )


async def effects() -> dict[str, int]:
    """Effect rows per event id."""
    rows = await current_engine().run_ddl(f"SELECT event_id, COUNT(*) AS n FROM {PROBE_TABLE} GROUP BY event_id")
    return {row["event_id"]: row["n"] for row in rows}


async def worker_pids() -> set[int]:
    rows = await current_engine().run_ddl(f"SELECT DISTINCT worker_pid FROM {PROBE_TABLE}")
    return {row["worker_pid"] for row in rows}


def mark(event_id: object, what: str) -> None:
    with (Path(os.environ[MARKERS_ENV]) / str(event_id)).open("a") as marker:
        marker.write(what + "\n")


def marks(directory: Path, event_id: object) -> list[str]:
    path = Path(directory) / str(event_id)
    return path.read_text().split() if path.exists() else []


async def effect_after_pause(event: Event) -> None:
    """probe.effect: optionally hold the transaction a moment (payload "pause"), then the effect."""
    await asyncio.sleep(event.payload.get("pause", 0))
    await record_effect(event)


async def slow_effect_first_time(event: Event) -> None:
    """probe.slow: the first run stalls mid-transaction long enough to be killed; a re-run is quick."""
    first_run = "started" not in marks(Path(os.environ[MARKERS_ENV]), event.id)
    mark(event.id, "started")
    if first_run:
        await asyncio.sleep(60)
    await record_effect(event)


PROBE_HANDLERS = {
    "probe.effect": effect_after_pause,
    "probe.slow": slow_effect_first_time,
    "probe.linger": record_effect,  # the worker lingers after this one commits (outbox_probe_worker.py)
}
