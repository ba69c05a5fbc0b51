"""Probes: /healthz says the process is alive; /readyz says it can serve (database and Redis answer)."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.datastructures import State

from backend.core.db import ping

CHECK_TIMEOUT_S = 2.0


@get("/healthz", sync_to_thread=False, summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database() -> str:
    await asyncio.wait_for(ping(), CHECK_TIMEOUT_S)
    return "ok"


async def _redis(state: State) -> str:
    if state.redis is None:
        raise LookupError("not configured: set MIRABELLE_REDIS_URL")
    await asyncio.wait_for(state.redis.ping(), CHECK_TIMEOUT_S)
    return "ok"


@get("/readyz", summary="The database and Redis answer")
async def readyz(state: State) -> Response[dict]:
    checks: dict[str, dict[str, str]] = {}
    for name, check in (("database", _database()), ("redis", _redis(state))):
        try:
            checks[name] = {"status": await check}
        except Exception as error:  # noqa: BLE001 - a probe reports any failure, it does not raise
            checks[name] = {"status": "failed", "error": f"{type(error).__name__}: {error}"[:300]}
    failed = [name for name, result in checks.items() if result["status"] != "ok"]
    return Response(
        {"status": "unavailable" if failed else "ready", "failed": failed, "checks": checks},
        status_code=503 if failed else 200,
    )
