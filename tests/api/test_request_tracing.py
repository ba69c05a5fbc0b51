"""What the api's after-exception hook logs: real failures as errors, a client hanging up as news."""

from __future__ import annotations

import structlog
from litestar.exceptions import InternalServerException, NotFoundException

from backend.api.request_tracing import unhandled_error_logger


def _logged(error: Exception) -> list[dict]:
    with structlog.testing.capture_logs() as logs:
        unhandled_error_logger()(error, {"path": "/graphql"})
    return logs


def test_a_server_failure_is_logged_as_an_error_with_its_traceback():
    (entry,) = _logged(RuntimeError("boom"))
    assert entry["event"] == "http.unhandled_error" and entry["log_level"] == "error" and isinstance(entry["exc_info"], RuntimeError)


def test_a_client_that_hung_up_is_not_an_error():
    (entry,) = _logged(InternalServerException("client disconnected prematurely"))
    assert entry == {"event": "http.client_disconnected", "log_level": "info", "path": "/graphql"}


def test_an_answered_client_error_is_not_logged():
    assert _logged(NotFoundException("no such page")) == []
