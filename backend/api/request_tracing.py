"""A request id on every request (the caller's X-Request-ID if it is sane, else a new one), echoed
in the response, bound to every log line and audit entry; and one access log line per request."""

from __future__ import annotations

import time

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException, InternalServerException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.core.request_context import HEADER, begin_offered_request

log = structlog.get_logger("mirabelle.api.access")

CALLER = "caller"  # key in the request's state under which authentication names the caller


def request_tracing(app: ASGIApp) -> ASGIApp:
    async def traced(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        offered = MutableScopeHeaders(scope).get(HEADER)
        request_id = begin_offered_request(offered)
        started = time.perf_counter()
        status = 500  # if the app fails before answering, the server answers 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[HEADER] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            log.info(
                "http.request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                caller=scope.get("state", {}).get(CALLER),
            )

    return traced


def client_went_away(error: Exception) -> bool:
    """The client hung up before its request body arrived (a load tester stopping, a closed tab):
    nothing failed on our side. Litestar reports it as a 500 with this detail, not a class of its own."""
    return isinstance(error, InternalServerException) and error.detail == "client disconnected prematurely"


def unhandled_error_logger(*answered: type[Exception]):
    """An after-exception hook logging failures outside GraphQL (which logs its own) that became
    a 500. ``answered`` are exceptions with their own handler and response (e.g. a 401)."""

    def log_unhandled(error: Exception, scope: Scope) -> None:
        if isinstance(error, answered) or (isinstance(error, HTTPException) and error.status_code < 500):
            return
        if client_went_away(error):
            log.info("http.client_disconnected", path=scope.get("path"))
            return
        log.error("http.unhandled_error", path=scope.get("path"), exc_info=error)

    return log_unhandled
