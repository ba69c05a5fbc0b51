"""Prometheus metrics: HTTP requests by method, route and status with latency (Litestar's
middleware), and GraphQL operations by name and outcome. Served as text on ``/metrics``, behind
``Authorization: Bearer <MIRABELLE_METRICS_TOKEN>`` when that token is set (required in production)."""

from __future__ import annotations

import hmac
import re

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Counter
from strawberry.types import ExecutionContext

from backend.core.settings import get_settings

__all__ = ["GRAPHQL_OPERATIONS", "HTTP_METRICS", "MetricsController", "count_operation"]

# group_path: label by route template, not by raw path, so ids in URLs cannot explode the series.
HTTP_METRICS = PrometheusConfig(app_name="mirabelle-api", prefix="mirabelle_http", group_path=True)

GRAPHQL_OPERATIONS = Counter(
    "mirabelle_graphql_operations_total",
    "GraphQL operations by operation name and outcome (ok, error, rejected before execution)",
    ["operation", "outcome"],
)

# Operation names come from clients: bound the label values a caller can create.
MAX_OPERATION_NAMES = 200
_GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_seen_names: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _GRAPHQL_NAME.match(name):
        return "invalid"
    if name not in _seen_names:
        if len(_seen_names) >= MAX_OPERATION_NAMES:
            return "other"
        _seen_names.add(name)
    return name


def count_operation(context: ExecutionContext, executed: bool) -> None:
    """Count an operation that has ended: ok, error (it ran and failed) or rejected (before it ran)."""
    errors = getattr(context.result, "errors", None) or context.pre_execution_errors
    if context.result is not None and not errors:
        outcome = "ok"
    else:
        outcome = "error" if executed else "rejected"
    GRAPHQL_OPERATIONS.labels(operation_label(context.operation_name), outcome).inc()


def metrics_token_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    token = get_settings().metrics_token.get_secret_value()
    if not token:
        return  # development default: open, like the rest of `make up`
    scheme, _, offered = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(offered.strip().encode(), token.encode()):
        raise NotAuthorizedException(
            "send 'Authorization: Bearer <MIRABELLE_METRICS_TOKEN>'", headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )


class MetricsController(PrometheusController):
    guards = [metrics_token_guard]  # noqa: RUF012 - Litestar reads it as a class attribute
