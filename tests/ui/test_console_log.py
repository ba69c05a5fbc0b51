"""The console logs like the api: one ``http.request`` line per page request (method, path, status,
duration, the signed-in person) under a request id that is echoed in the response and bound to the
line; an unhandled error in a page or in a button's handler is logged with its traceback."""

from __future__ import annotations

import pytest
import structlog
from nicegui import ui
from nicegui.testing import User
from structlog.testing import LogCapture

from ui import request_log


@pytest.fixture
def logs(monkeypatch):
    """The log lines written meanwhile, with the context (the request id) merged in as in production."""
    capture = LogCapture()
    before = structlog.get_config()
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture], cache_logger_on_first_use=False)
    monkeypatch.setattr(request_log, "log", structlog.get_logger("mirabelle.console.access"))
    yield capture.entries
    structlog.configure(**before)


def lines(entries: list[dict], event: str, **matching) -> list[dict]:
    return [e for e in entries if e["event"] == event and all(e.get(k) == v for k, v in matching.items())]


async def test_a_page_request_is_logged_with_its_request_id_status_duration_and_person(console: User, logs, patience) -> None:
    response = await console.http_client.get("/recipients", headers={"X-Request-ID": "support-call-42"})
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "support-call-42"
    (line,) = lines(logs, "http.request", path="/recipients")
    assert (line["method"], line["status"], line["user"], line["request_id"], line["log_level"]) == (
        "GET",
        200,
        "admin@example.com",
        "support-call-42",
        "info",
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0

    odd = await console.http_client.get("/recipients", headers={"X-Request-ID": "not a sane id; DROP"})
    fresh = odd.headers["X-Request-ID"]
    assert fresh != "not a sane id; DROP" and len(fresh) == 32
    assert lines(logs, "http.request", path="/recipients")[-1]["request_id"] == fresh
    assert not [e for e in logs if e["event"] == "http.request" and e["path"].startswith("/_nicegui/")]


async def test_an_unsigned_request_is_logged_as_its_redirect(user: User, admin, logs) -> None:
    response = await user.http_client.get("/recipients", follow_redirects=False)
    assert response.status_code == 303
    (line,) = lines(logs, "http.request", path="/recipients")
    assert (line["status"], line["user"]) == (303, None)


async def test_an_unhandled_error_in_a_button_handler_is_logged_with_its_traceback(console: User, logs, patience, caplog) -> None:
    @ui.page("/test-broken-button")
    def broken_button() -> None:
        def fail() -> None:
            raise ValueError("the button broke")

        ui.button("Break", on_click=fail).mark("break")

    await console.open("/test-broken-button")
    console.find(marker="break").click()
    (error,) = lines(logs, "console.unhandled_error", error="ValueError: the button broke")
    assert isinstance(error["exc_info"], ValueError) and error["log_level"] == "error"
    caplog.clear()  # NiceGUI's own logging of it: expected here, not a failure of the test


async def test_an_error_escaping_a_request_is_logged_with_its_traceback_and_a_500(logs) -> None:
    async def failing_app(scope, receive, send) -> None:
        raise RuntimeError("the page broke")

    answered = []

    async def send(message) -> None:
        answered.append(message)

    scope = {"type": "http", "method": "GET", "path": "/recipients", "headers": [(b"x-request-id", b"call-7")]}
    with pytest.raises(RuntimeError):
        await request_log.RequestLog(failing_app)(scope, None, send)
    (error,) = lines(logs, "http.unhandled_error", path="/recipients")
    assert isinstance(error["exc_info"], RuntimeError) and error["request_id"] == "call-7"
    (line,) = lines(logs, "http.request", path="/recipients")
    assert (line["status"], line["request_id"], line["user"]) == (500, "call-7", None)
