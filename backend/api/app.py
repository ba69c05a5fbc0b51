"""The api process: Litestar serving GraphQL (Strawberry), probes and metrics."""

from __future__ import annotations

from typing import ClassVar

import orjson
from litestar import Controller, Litestar, Request, Response, post
from litestar.background_tasks import BackgroundTasks
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK
from strawberry.litestar import make_graphql_controller

from backend.access.service import ApiKeyRejected
from backend.api.auth import rejected_key_response
from backend.api.context import request_context
from backend.api.health import healthz, readyz
from backend.api.lifespan import api_lifespan
from backend.api.metrics import HTTP_METRICS, MetricsController
from backend.api.request_tracing import request_tracing, unhandled_error_logger
from backend.api.schema import build_schema
from backend.core.settings import get_settings

_SUB_RESPONSE = "mirabelle.graphql_response"


async def _graphql_response() -> Response:
    """The response Strawberry's resolvers may add headers or cookies to (``info.context["response"]``)."""
    return Response({}, background=BackgroundTasks([]))


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

    class GraphQLController(InlineRequestHandler, base):
        # And no WebSocket route: an upgrade is refused at the handshake (403) instead of accepted and closed.
        websocket_endpoint = None
        # Strawberry makes each request's Response in a worker thread (a sync dependency with
        # sync_to_thread=True): a thread hop per request for one constructor call. Made inline.
        dependencies: ClassVar[dict[str, Provide]] = {**base.dependencies, "response": Provide(_graphql_response)}

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


class InlineRequestHandler:
    """The one adapter over Strawberry's Litestar controller: its POST handler, made without dependencies.

    Strawberry's handler takes the context, the root value and the response as Litestar dependencies,
    which Litestar resolves as tasks of a task group on every request. Made here in line, with the
    controller's public ``execute_request`` and ``get_sub_response``. Measured in process (Litestar's
    test client, 1,000 ``{ __typename }`` with a key, SQLite, one pair of runs on a loaded 2-core host,
    2026-12-07): 4,099 µs of CPU a request with this handler, 4,675 µs with Strawberry's own (+14 %);
    profiled earlier under wrk: a tenth of the api's CPU. To use Strawberry's handler instead, drop
    this class from the controller's bases.
    """

    @post(status_code=HTTP_200_OK)
    async def handle_http_post(self, request: Request) -> Response:
        response = await _graphql_response()
        context = await request_context(request)
        context.request, context.response = request, response
        request.scope[_SUB_RESPONSE] = response  # type: ignore[typeddict-unknown-key]
        return await self.execute_request(request=request, context=context, root_value=None)  # type: ignore[attr-defined]

    async def get_sub_response(self, request: Request) -> Response:
        # Per request: Strawberry keeps it on the controller, which concurrent requests share.
        return request.scope.get(_SUB_RESPONSE) or await super().get_sub_response(request)  # type: ignore[misc]


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[graphql_controller(), healthz, readyz, MetricsController],
        middleware=[request_tracing, HTTP_METRICS.middleware],
        exception_handlers={ApiKeyRejected: rejected_key_response},
        after_exception=[unhandled_error_logger(ApiKeyRejected)],
        lifespan=[api_lifespan],
        openapi_config=None,
    )
