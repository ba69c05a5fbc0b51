"""Prometheus metrics: HTTP requests by method, route and status with latency (Litestar's
middleware), and GraphQL operations by name and outcome. Served as text on ``/metrics``."""

from __future__ import annotations

import re

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Counter
from strawberry.types import ExecutionContext

__all__ = ["GRAPHQL_OPERATIONS", "HTTP_METRICS", "PrometheusController", "count_operation"]

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
