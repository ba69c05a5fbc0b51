"""The id of the request being served, carried to logs and audit entries."""

from contextvars import ContextVar

import structlog

from backend.core.ids import new_id

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def begin_request(request_id: str | None = None) -> str:
    request_id = request_id or new_id().hex
    _request_id.set(request_id)
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return request_id
