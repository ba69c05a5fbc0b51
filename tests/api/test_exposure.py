"""What the api shows to whom: WebSocket upgrades refused (no subscriptions exist), GraphiQL and
introspection on for `make up` and off in production, /metrics behind a token when one is set."""

import asyncio
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_websocket_upgrade_is_refused_with_or_without_a_key(api, key, protocol):
    url = str(api.http.base_url).replace("http://", "ws://") + "/graphql"
    for headers in ({}, {"Authorization": f"Bearer {key}"}):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, subprotocols=[protocol], additional_headers=headers, open_timeout=5) as socket:
                # Reached only if the upgrade was accepted: what would a connection run?
                await socket.send('{"type": "connection_init", "payload": {}}')
                await socket.send(
                    f'{{"id": "1", "type": "{"subscribe" if protocol == "graphql-transport-ws" else "start"}", '
                    f'"payload": {{"query": "{INTROSPECTION}"}}}}'
                )
                answers = [await asyncio.wait_for(socket.recv(), 2) for _ in range(2)]
                pytest.fail(f"the WebSocket was accepted and answered {answers}")
        assert refused.value.response.status_code == 403
    started = time.perf_counter()
    assert (await api.http.get("/healthz")).status_code == 200
    assert time.perf_counter() - started < 1.0


async def test_graphiql_and_introspection_are_on_by_default(api, key):
    page = await api.http.get("/graphql")
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert await api.data(INTROSPECTION, key=key) == {"__schema": {"queryType": {"name": "Query"}}}


async def test_production_turns_graphiql_and_introspection_off(serve, key):
    api = await serve(env="production", metrics_token="m" * 32)
    assert (await api.http.get("/graphql")).status_code == 404
    errors = await api.errors(INTROSPECTION, key=key)
    assert errors and all("introspection has been disabled" in error["message"] for error in errors)
    assert await api.data("{ viewer { kind } }", key=key) == {"viewer": {"kind": "API_KEY"}}


async def test_explicit_settings_override_the_production_defaults(serve, key):
    api = await serve(env="production", metrics_token="m" * 32, graphql_ide="true", graphql_introspection="true")
    assert (await api.http.get("/graphql")).status_code == 200
    assert await api.data(INTROSPECTION, key=key) == {"__schema": {"queryType": {"name": "Query"}}}


async def test_metrics_require_the_token_when_one_is_set(serve):
    token = "metrics-" + "t" * 32
    api = await serve(metrics_token=token)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"}):
        response = await api.http.get("/metrics", headers=headers)
        assert response.status_code == 401 and "mirabelle_graphql" not in response.text
    response = await api.http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and "mirabelle_graphql_operations_total" in response.text


async def test_metrics_are_open_without_a_token_outside_production(api):
    response = await api.http.get("/metrics")
    assert response.status_code == 200 and "mirabelle_graphql_operations_total" in response.text


def test_production_requires_a_metrics_token(monkeypatch):
    from backend.core.settings import SettingsError, load_settings

    monkeypatch.setenv("MIRABELLE_ENV", "production")
    monkeypatch.delenv("MIRABELLE_METRICS_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="MIRABELLE_METRICS_TOKEN is required when MIRABELLE_ENV=production"):
        load_settings()
    monkeypatch.setenv("MIRABELLE_METRICS_TOKEN", "m" * 32)
    assert load_settings().env == "production"
