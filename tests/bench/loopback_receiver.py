"""The far end of the sending benchmarks, in a process of its own (so its CPU is not the worker's):
a messaging provider shaped like Twilio's Messages resource and a webhook receiver, on one
loopback port, served by uvicorn (httptools, uvloop) as a bare ASGI app.

* ``POST …/Messages.json``: honours ``Idempotency-Key`` (the delivery id) as a provider that does
  would: a key seen before gets the first answer again and sends nothing (counted as a replay);
  a new key is "sent" and its arrival time kept.
* ``POST /webhooks``: a Standard Webhooks receiver: keeps each ``webhook-id`` once (a second copy
  is counted as a duplicate) with its arrival time and the payload's ``occurred_at`` (the ledger's
  time of the change), so the lag ledger → receiver is arrival − occurred_at on the same clock.
* ``GET /stats``: the counts; ``GET /records``: every arrival (key → unix time; webhook id →
  [occurred_at, arrival]).

Run: ``python loopback_receiver.py PORT``."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from urllib.parse import parse_qs

sent: dict[str, float] = {}  # idempotency key → arrival (unix s)
webhooks: dict[str, list[float]] = {}  # webhook-id → [occurred_at, arrival]
counts = {"requests": 0, "replays": 0, "webhook_duplicates": 0, "without_key": 0}


async def _body(receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _answer(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    path, headers = scope["path"], dict(scope["headers"])
    if scope["method"] == "GET":
        if path == "/stats":
            return await _answer(send, 200, {**counts, "sent": len(sent), "webhooks": len(webhooks)})
        if path == "/records":
            return await _answer(send, 200, {"sent": sent, "webhooks": webhooks})
        return await _answer(send, 404, {})
    body = await _body(receive)
    now = time.time()
    counts["requests"] += 1
    if path.endswith("/Messages.json"):
        key = headers.get(b"idempotency-key", b"").decode()
        if not key:
            counts["without_key"] += 1
        elif key in sent:
            counts["replays"] += 1
        else:
            sent[key] = now
        to = parse_qs(body.decode()).get("To", [""])[0]
        return await _answer(send, 201, {"sid": f"SM{key.replace('-', '')}", "status": "queued", "to": to})
    if path == "/webhooks":
        webhook_id = headers.get(b"webhook-id", b"").decode()
        if webhook_id in webhooks:
            counts["webhook_duplicates"] += 1
        else:
            occurred_at = json.loads(body)["data"].get("occurred_at")
            occurred = datetime.fromisoformat(occurred_at).timestamp() if occurred_at else now
            webhooks[webhook_id] = [occurred, now]
        return await _answer(send, 200, {})
    return await _answer(send, 404, {})


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False, backlog=2048)
