"""A real messaging provider on loopback, shaped like Twilio's Messages resource: stdlib http.server
in its own thread, answering each POST with the next step of a script (a status with a JSON body
and headers, or a stall longer than the sender's timeout), and keeping every request. It honours
``Idempotency-Key`` as a provider that does would: a key it has accepted before gets the first
answer again and sends nothing new (``sent`` counts the messages it really sent)."""

from __future__ import annotations

import base64
import json
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs

ACCOUNT_SID, AUTH_TOKEN = "AC0123456789abcdef", "token-shh-secret"


@dataclass(frozen=True)
class Answer:
    status: int = 201
    body: dict | None = None
    headers: tuple[tuple[str, str], ...] = ()
    stall_seconds: float = 0.0
    sends_before_stall: bool = False  # a 2xx stall that sends first: the answer, not the message, is late


OK = Answer(201)
UNAVAILABLE = Answer(503, {"code": 20500, "message": "Service temporarily unavailable"})
INVALID_NUMBER = Answer(400, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})


def rate_limited(retry_after: int) -> Answer:
    return Answer(429, {"code": 20429, "message": "Too Many Requests"}, (("Retry-After", str(retry_after)),))


def stall(seconds: float) -> Answer:
    return Answer(201, stall_seconds=seconds)


def send_then_stall(seconds: float) -> Answer:
    """The message goes out (its idempotency key is kept), then the answer is held for ``seconds``."""
    return Answer(201, stall_seconds=seconds, sends_before_stall=True)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class MessagingProvider:
    def __init__(self, script: list[Answer] | None = None, then: Answer = OK):
        self.script, self.then = list(script or []), then
        self.requests: list[Request] = []
        self.sent: list[dict[str, str]] = []
        self._accepted: dict[str, dict] = {}  # idempotency key → the first successful answer
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing arrived to act on
                    return
                raw = body.decode()
                form = {key: values[0] for key, values in parse_qs(raw).items()}
                headers = {key.lower(): value for key, value in self.headers.items()}
                with provider._lock:
                    provider.requests.append(Request(self.path, headers, form))
                    answer = provider.script.pop(0) if provider.script else provider.then
                    key = headers.get("idempotency-key")
                    if not provider._authorised(headers):
                        answer = Answer(401, {"code": 20003, "message": "Authenticate"})
                    elif key in provider._accepted:
                        answer = Answer(201, provider._accepted[key])
                    elif 200 <= answer.status < 300 and (not answer.stall_seconds or answer.sends_before_stall):
                        body = {"sid": f"SM{len(provider.sent):032d}", "status": "queued", "to": form.get("To")}
                        provider.sent.append(form)
                        if key:
                            provider._accepted[key] = body
                        answer = Answer(answer.status, body, stall_seconds=answer.stall_seconds)
                time.sleep(answer.stall_seconds)
                payload = json.dumps(answer.body or {}).encode()
                with suppress(OSError):  # after a stall the sender has hung up
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

    @staticmethod
    def _authorised(headers: dict[str, str]) -> bool:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return headers.get("authorization") == expected

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/2010-04-01"

    def answer_next(self, *answers: Answer) -> None:
        with self._lock:
            self.script.extend(answers)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
