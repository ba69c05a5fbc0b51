"""A real JSON HTTP provider on loopback (stdlib http.server in its own thread) for the providers
that speak JSON: Meta-shaped WhatsApp Cloud and a company's Standard Webhooks gateway. Each POST
gets the next scripted answer (status, JSON body, headers, or a stall), after ``check`` (the
provider's own authentication) has passed; every request is kept with its raw body."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: dict | None = None
    headers: tuple[tuple[str, str], ...] = ()
    stall_seconds: float = 0.0


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.raw)


def meta_error(status: int, code: int, message: str, headers: tuple = ()) -> Answer:
    return Answer(status, {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1"}}, headers)


class JsonProvider:
    def __init__(
        self,
        script: list[Answer] | None = None,
        then: Answer | Callable[[Request], Answer] = Answer(200, {}),
        check: Callable[[Request], Answer | None] = lambda request: None,
    ):
        self.script, self.then, self.check = list(script or []), then, check
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                request = Request(self.path, {key.lower(): value for key, value in self.headers.items()}, raw)
                with provider._lock:
                    provider.requests.append(request)
                    refused = provider.check(request)
                    if refused is not None:
                        answer = refused
                    elif provider.script:
                        answer = provider.script.pop(0)
                    else:
                        answer = provider.then(request) if callable(provider.then) else provider.then
                time.sleep(answer.stall_seconds)
                payload = json.dumps(answer.body or {}).encode()
                with suppress(OSError):
                    self.send_response(answer.status)
                    for name, value in answer.headers:
                        self.send_header(name, value)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
