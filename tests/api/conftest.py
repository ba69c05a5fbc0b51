"""The API under test runs for real: uvicorn on a loopback port, inside the test's event loop (so it
shares the `db` fixture's engine), called with httpx."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn

from backend.access import services as access
from backend.access.roles import API_KEY_SCOPES
from backend.api.app import create_app
from backend.core.settings import get_settings

STARTUP_TIMEOUT_S = 15


@contextlib.contextmanager
def settings_env(values: dict[str, str]) -> Iterator[None]:
    """Run with extra MIRABELLE_* variables, e.g. {"REDIS_URL": ...}; settings are re-read on entry and exit."""
    names = {f"MIRABELLE_{name.upper()}": value for name, value in values.items()}
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


class Api:
    """A client of the running API."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def post(
        self,
        query: str,
        variables: dict | None = None,
        key: str | None = None,
        headers: dict | None = None,
        operation_name: str | None = None,
    ) -> httpx.Response:
        headers = dict(headers or {})
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        body = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        return await self.http.post("/graphql", json=body, headers=headers)

    async def data(self, query: str, variables: dict | None = None, *, key: str, **kwargs) -> dict:
        """The data of an operation that must succeed without GraphQL errors."""
        response = await self.post(query, variables, key=key, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def errors(self, query: str, variables: dict | None = None, *, key: str) -> list[dict]:
        response = await self.post(query, variables, key=key)
        assert response.status_code == 200, response.text
        errors = response.json().get("errors")
        assert errors, f"expected GraphQL errors, got {response.text}"
        return errors


async def _serve(server: uvicorn.Server) -> None:
    try:
        await server.serve()
    except SystemExit as exit_:  # uvicorn exits on a failed start-up; keep that inside the test
        raise RuntimeError(f"the api failed to start (exit {exit_.code})") from None


@contextlib.asynccontextmanager
async def running_api(settings: dict[str, str]) -> AsyncIterator[Api]:
    with settings_env(settings):
        config = uvicorn.Config(
            create_app(), host="127.0.0.1", port=0, lifespan="on", log_config=None, access_log=False, log_level="warning"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(_serve(server))
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT_S):
                while not server.started:
                    if task.done():
                        task.result()
                    await asyncio.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                yield Api(http)
        finally:
            server.should_exit = True
            await task


@pytest.fixture
async def serve(db):
    """``await serve(graphql_max_depth="2")`` starts an api under those settings; all stop at the test's end."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**settings: str) -> Api:
            return await stack.enter_async_context(running_api(settings))

        yield start


@pytest.fixture
async def api(serve) -> Api:
    return await serve()


@pytest.fixture
def make_key(admin):
    """Creates an API key with the given scopes (all API scopes by default); returns its secret."""

    async def make(*scopes: str, name: str = "payroll sync") -> str:
        _, secret = await access.create_api_key(admin, name, list(scopes) or [scope.value for scope in API_KEY_SCOPES])
        return secret

    return make


@pytest.fixture
async def key(make_key) -> str:
    return await make_key()
