"""A real HTTP receiver on loopback for the webhook tests: stdlib http.server in its own thread,
answering each request with the next step of a script (an HTTP status, or a stall longer than the
sender's timeout), and keeping every request it got."""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class _Server(ThreadingHTTPServer):
    # A sender's batch opens several connections at once; the stdlib's listen backlog of 5 drops the
    # rest's SYNs, which the kernel retries a second later: longer than the tests' timeouts.
    request_queue_size = 64


@dataclass(frozen=True)
class Answer:
    status: int = 200
    stall_seconds: float = 0.0  # sleep before answering: longer than the sender's timeout is a timeout
    body: bytes = b"ok"


OK = Answer(200, body=b'{"received": true}')
SERVER_ERROR = Answer(500, body=b"internal error: ledger database unavailable")


def stall(seconds: float) -> Answer:
    return Answer(200, stall_seconds=seconds, body=b"too late")


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    def __init__(self, script: list[Answer] | None = None, then: Answer = OK):
        self.script, self.then = list(script or []), then
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                    )
                    answer = receiver.script.pop(0) if receiver.script else receiver.then
                time.sleep(answer.stall_seconds)
                with suppress(OSError):  # after a stall the sender has hung up
                    self.send_response(answer.status)
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)

            def log_message(self, *args) -> None:  # keep the test output quiet
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a stalled answer must not hold up the test's end
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/mirabelle"

    def answer_next(self, *answers: Answer, then: Answer | None = None) -> None:
        with self._lock:
            self.script.extend(answers)
            if then is not None:
                self.then = then

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
