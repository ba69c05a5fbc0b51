"""The endpoints an operator watches: /healthz, /readyz, /metrics; and the request id on every response."""

import re
import time


async def test_healthz(api):
    response = await api.http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_ready_while_database_and_redis_answer_then_not_when_redis_stops(serve, embedded_redis):
    api = await serve(redis_url=embedded_redis.url)
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "failed": [], "checks": {"database": {"status": "ok"}, "redis": {"status": "ok"}}}

    embedded_redis.stop()
    down = await api.http.get("/readyz")
    assert down.status_code == 503
    assert down.json()["failed"] == ["redis"] and down.json()["checks"]["database"] == {"status": "ok"}

    embedded_redis.start()
    assert (await api.http.get("/readyz")).status_code == 200  # the probe reconnects by itself


async def test_not_ready_without_a_configured_redis(api):
    response = await api.http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]
    assert "not configured" in response.json()["checks"]["redis"]["error"]


async def test_starts_at_once_when_redis_is_down(serve, embedded_redis, key):
    embedded_redis.stop()
    started = time.monotonic()
    api = await serve(redis_url=embedded_redis.url)
    assert time.monotonic() - started < 3  # no connection retries holding up start-up
    assert (await api.http.get("/readyz")).json()["failed"] == ["redis"]
    assert (await api.data("{ viewer { name } }", key=key))["viewer"]["name"] == "api-key:payroll sync"


async def test_the_request_id_is_echoed_or_made(api):
    assert (await api.http.get("/healthz", headers={"X-Request-ID": "abc.123"})).headers["x-request-id"] == "abc.123"
    made = (await api.http.get("/healthz")).headers["x-request-id"]
    unsafe = (await api.http.get("/healthz", headers={"X-Request-ID": "x" * 65})).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made) and re.fullmatch(r"[0-9a-f]{32}", unsafe) and made != unsafe


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text format (0 if absent)."""
    for line in metrics.splitlines():
        if line.startswith(name + "{"):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line[len(name) : line.rindex("}")]))
            if all(found.get(label) == value for label, value in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_and_graphql_operations(api, key, make_key):
    catalogue_only = await make_key("catalog:read", name="catalogue")
    before = (await api.http.get("/metrics")).text
    await api.http.get("/healthz")
    await api.post("query Viewer { viewer { name } }", key=key)
    await api.post("query Broken { nope }", key=key)
    await api.post("query Forbidden { recipients { totalCount } }", key=catalogue_only)
    await api.post("query Viewer { viewer { name } }")  # 401: no operation runs
    response = await api.http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = response.text

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("mirabelle_http_requests_total", method="GET", path="/healthz", status_code="200") == 1
    assert grew("mirabelle_http_requests_total", method="POST", path="/graphql", status_code="200") == 3
    assert grew("mirabelle_http_requests_total", method="POST", path="/graphql", status_code="401") == 1
    assert grew("mirabelle_http_request_duration_seconds_count", method="GET", path="/healthz", status_code="200") == 1
    assert grew("mirabelle_graphql_operations_total", operation="Viewer", outcome="ok") == 1
    assert grew("mirabelle_graphql_operations_total", operation="Broken", outcome="rejected") == 1
    assert grew("mirabelle_graphql_operations_total", operation="Forbidden", outcome="error") == 1


async def test_one_access_log_line_per_request_naming_the_caller(api, key, capfd):
    await api.post("{ viewer { name } }", key=key, headers={"X-Request-ID": "trace-me-1"})
    lines = [line for line in capfd.readouterr().err.splitlines() if "http.request" in line and "trace-me-1" in line]
    assert len(lines) == 1, lines
    for part in ("method=POST", "path=/graphql", "status=200", "api-key:payroll sync", "duration_ms="):
        assert part in lines[0]
