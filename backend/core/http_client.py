"""One outgoing HTTP client per event loop, shared by everything that sends (messaging providers,
signed webhooks).

A new ``httpx.AsyncClient`` builds an SSL context and loads the CA bundle (measured: 75 ms of CPU
per client on our 2-core machine, three quarters of a send's time when each send made its own) and
opens a new connection for every request. The shared client keeps connections alive per host, up
to ``MAX_CONNECTIONS``; each caller passes its own timeout per request."""

from __future__ import annotations

import asyncio
import weakref

import httpx

MAX_CONNECTIONS = 200  # per process: a worker runs at most this many sends at once (its max_jobs)
KEEPALIVE_SECONDS = 30.0

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def shared_client() -> httpx.AsyncClient:
    """The running loop's client (made on first use). Redirects are not followed: a sender decides."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS, keepalive_expiry=KEEPALIVE_SECONDS
            ),
        )
        _clients[loop] = client
    return client


async def close_shared_client() -> None:
    """At a process's shutdown: close the running loop's client and its connections."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()
