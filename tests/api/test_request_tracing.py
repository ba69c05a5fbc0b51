"""What the api's after-exception hook logs: real failures as errors, a client hanging up as news."""

from __future__ import annotations

import structlog
from litestar.exceptions import InternalServerException, NotFoundException

from backend.api import request_tracing


def _logged(error: Exception, monkeypatch) -> list[dict]:
    with structlog.testing.capture_logs() as logs:
        # The module's logger may be bound (and cached) from an earlier test: a fresh one logs into the capture.
        monkeypatch.setattr(request_tracing, "log", structlog.get_logger("mirabelle.api.access"))
        request_tracing.unhandled_error_logger()(error, {"path": "/graphql"})
    return logs


def test_a_server_failure_is_logged_as_an_error_with_its_traceback(monkeypatch):
    (entry,) = _logged(RuntimeError("boom"), monkeypatch)
    assert (
        entry["event"] == "http.unhandled_error" and entry["log_level"] == "error" and isinstance(entry["exc_info"], RuntimeError)
    )


def test_a_client_that_hung_up_is_not_an_error(monkeypatch):
    (entry,) = _logged(InternalServerException("client disconnected prematurely"), monkeypatch)
    assert entry == {"event": "http.client_disconnected", "log_level": "info", "path": "/graphql"}


def test_an_answered_client_error_is_not_logged(monkeypatch):
    assert _logged(NotFoundException("no such page"), monkeypatch) == []
