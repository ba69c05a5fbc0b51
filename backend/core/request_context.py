"""The id of the request being served, carried to logs and audit entries."""

import re
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


HEADER = "X-Request-ID"
# What we accept from a caller: it ends up in logs and in the audit log's 64-character column.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def begin_offered_request(offered: str | None) -> str:
    """Begin a request under the caller's X-Request-ID if it is sane, else under a new id."""
    return begin_request(offered if offered and _ACCEPTABLE_ID.match(offered) else None)
