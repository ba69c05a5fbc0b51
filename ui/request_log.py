"""The console's logs, as the api writes them (``backend/api/request_tracing.py``): a request id for
every page request (the caller's X-Request-ID if it is sane, else a new one), echoed in the response
and bound to every log line and audit entry of the request; one ``http.request`` line per request
(method, path, status, duration, the signed-in person); and every unhandled error — in building a
page, in a button's handler, in a timer — as ``console.unhandled_error`` with its traceback.

NiceGUI's own assets and its socket.io polling (``/_nicegui/…``) are left out: they are the page's
plumbing, dozens per page, not requests a person made."""

from __future__ import annotations

import time

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core.request_context import HEADER, begin_offered_request, current_request_id

log = structlog.get_logger("mirabelle.console.access")

QUIET_PREFIXES = ("/_nicegui/", "/favicon")
SIGNED_IN = "signed_in"  # where ui.auth leaves the person on the request's state


class RequestLog:
    """ASGI middleware: the outermost layer of the console, so its line covers everything inside."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(QUIET_PREFIXES):
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        offered = next((value.decode("latin-1") for name, value in scope["headers"] if name == HEADER.lower().encode()), None)
        request_id = begin_offered_request(offered)
        started, status = time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            log.error("http.unhandled_error", path=scope["path"], exc_info=error)
            raise
        finally:
            person = scope.get("state", {}).get(SIGNED_IN)
            log.info(
                "http.request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                user=person.user.email if person is not None else None,
            )


def log_unhandled(error: Exception) -> None:
    """NiceGUI's exception hook (``app.on_exception``): a failure in a page, an event handler or a timer."""
    log.error(
        "console.unhandled_error", request_id=current_request_id(), error=f"{type(error).__name__}: {error}", exc_info=error
    )
