"""The api process: Litestar serving GraphQL (Strawberry), probes, metrics and the recipients' claim pages."""

from __future__ import annotations

from typing import Any, ClassVar

import orjson
from litestar import Controller, Litestar, Response
from litestar.background_tasks import BackgroundTasks
from litestar.di import Provide
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE
from strawberry.litestar import make_graphql_controller

from backend.access.services.api_keys import ApiKeyRejected
from backend.api import delivery_callbacks
from backend.api.auth import rejected_key_response
from backend.api.claims import routes as claim_pages
from backend.api.context import request_context
from backend.api.health import healthz, readyz
from backend.api.lifespan import api_lifespan
from backend.api.metrics import HTTP_METRICS, MetricsController
from backend.api.request_tracing import request_tracing, unhandled_error_logger
from backend.api.schema import build_schema
from backend.api.uploads import REQUEST_MAX_BODY_BYTES, file_too_large_response
from backend.core.settings import get_settings


async def _graphql_response(custom_context: Any) -> Response:
    """The response Strawberry's resolvers may add headers or cookies to (``info.context["response"]``)."""
    return Response({}, background=BackgroundTasks([]))


async def _no_root_value(context: Any) -> None:
    return None


def graphql_controller() -> type[Controller]:
    settings = get_settings()
    base = make_graphql_controller(
        build_schema(settings),
        path="/graphql",
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=False,  # GET only serves GraphiQL; operations are POSTed with a key
        context_getter=request_context,
        multipart_uploads_enabled=True,  # the `Upload` scalar: voucher files, evidence, HR exports (see backend/api/uploads.py)
        # The schema has no subscriptions: no WebSocket protocol (graphql-transport-ws, graphql-ws) is
        # spoken, so nothing can run over a WebSocket, where no API key would be asked for.
        subscription_protocols=(),
    )

    class GraphQLController(base):
        # Files up to their own bounds arrive whole; a larger body is answered as a GraphQL error (uploads.py).
        request_max_body_size = REQUEST_MAX_BODY_BYTES
        exception_handlers: ClassVar = {HTTP_413_REQUEST_ENTITY_TOO_LARGE: file_too_large_response}
        # And no WebSocket route: an upgrade is refused at the handshake (403) instead of accepted and closed.
        websocket_endpoint = None
        # Strawberry's own POST handler and dependencies, but the Response: Strawberry makes it in a
        # worker thread (a sync dependency with sync_to_thread=True), a thread hop per request for one
        # constructor call; made inline here. (A handler of our own, without dependencies, measured
        # no better in process on this host: 1,465 vs 1,150 µs of CPU per `{ __typename }`, PostgreSQL.)
        #
        # Each dependency names the one before it (our context, the response, Strawberry's merged
        # context, the root value), so Litestar resolves them one after the other: dependencies
        # that are independent of each other it resolves in an anyio task group, a task each.
        dependencies: ClassVar[dict[str, Provide]] = {
            **base.dependencies,
            "response": Provide(_graphql_response),
            "root_value": Provide(_no_root_value),
        }

        # orjson reads and writes the bodies in a fraction of the stdlib json's time (2–3 % of a request's CPU).
        # (Its decode error is a json.JSONDecodeError, which Strawberry answers with a 400.)
        def decode_json(self, data: str | bytes) -> object:
            return orjson.loads(data)

        def encode_json(self, data: object) -> bytes:
            return orjson.dumps(data)

        def should_render_graphql_ide(self, request) -> bool:
            # Any GET without a query gets GraphiQL, whatever its Accept header (Strawberry wants
            # text/html or */*; Python's urllib, used by `mirabelle up` to wait for us, sends none).
            return request.method == "GET" and request.query_params.get("query") is None

    return GraphQLController


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[
            graphql_controller(),
            healthz,
            readyz,
            MetricsController,
            *claim_pages.ROUTES,
            *delivery_callbacks.ROUTES,
        ],
        template_config=claim_pages.template_config(),
        middleware=[request_tracing, HTTP_METRICS.middleware],
        exception_handlers={ApiKeyRejected: rejected_key_response},
        after_exception=[unhandled_error_logger(ApiKeyRejected)],
        lifespan=[api_lifespan],
        openapi_config=None,
    )
