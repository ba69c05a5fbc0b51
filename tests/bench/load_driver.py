"""A load generator that runs wrk's scripts: so `make bench` needs no wrk binary.

Run as its own process (``api_load.wrk`` starts it), like wrk: ``python load_driver.py URL KEY
SCRIPT CONNECTIONS THREADS SECONDS``; prints one JSON object (requests per second, latency
percentiles in ms, non-2xx responses, what the script wrote, the driver's own CPU time).

What it keeps of wrk (https://github.com/wg/wrk, SCRIPTING): THREADS Lua states (LuaJIT, through
lupa), each serving CONNECTIONS / THREADS keep-alive HTTP/1.1 connections; the script's globals
``wrk`` (method, path, headers, body, ``wrk.format``), ``setup(thread)`` with ``thread:set`` /
``thread:get``, ``request()``, ``response(status, headers, body)`` and ``done(summary, latency,
requests)`` (``summary.duration`` in µs, ``summary.requests``, ``latency:percentile(p)`` in µs).
A request's latency runs from its write to its response's last byte; requests still in flight at
the end are not counted (as in wrk). The connections are asyncio protocols on uvloop: no HTTP
library in the way, so the driver spends a few tens of µs per request.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlsplit

from lupa.luajit21 import LuaRuntime

# wrk's own wrk.lua, less what these scripts never use (the lookup and connect helpers).
_WRK_LUA = r"""
wrk = { scheme = "http", host = HOST, port = PORT, method = "GET", path = PATH, headers = {}, body = nil }
function wrk.format(method, path, headers, body)
  local method = method or wrk.method
  local path = path or wrk.path
  local headers = headers or wrk.headers
  local body = body or wrk.body
  local s = {}
  if not headers["Host"] then headers["Host"] = wrk.headers["Host"] end
  headers["Content-Length"] = body and string.len(body)
  s[1] = string.format("%s %s HTTP/1.1", method, path)
  for name, value in pairs(headers) do s[#s + 1] = string.format("%s: %s", name, value) end
  s[#s + 1] = ""
  s[#s + 1] = body or ""
  return table.concat(s, "\r\n")
end
"""
_THREAD_LUA = r"""
return function(set, get)
  local thread = {}
  function thread:set(name, value) set(name, value) end
  function thread:get(name) return get(name) end
  return thread
end
"""


def _runtime(url, headers: dict[str, str], script: str, written: list[str] | None = None) -> LuaRuntime:
    lua = LuaRuntime(unpack_returned_tuples=True)
    lua.execute(
        _WRK_LUA.replace("HOST", json.dumps(url.hostname))
        .replace("PORT", str(url.port))
        .replace("PATH", json.dumps(url.path or "/"))
    )
    wrk_headers = lua.globals().wrk.headers
    wrk_headers["Host"] = f"{url.hostname}:{url.port}"
    for name, value in headers.items():
        wrk_headers[name] = value
    lua.execute(f"math.randomseed({time.time_ns() % 2**31})")  # each state its own sequence, as wrk's threads
    if written is not None:  # done() writes its figures: keep them for the caller
        lua.globals().io.write = lambda *parts: written.extend(str(part) for part in parts)
    lua.execute(script)
    return lua


class _Thread:
    """One of wrk's threads: its Lua state and what its connections measured."""

    def __init__(self, lua: LuaRuntime):
        self.lua = lua
        self.request = lua.globals().request
        self.response = lua.globals().response
        self.static = None if self.request is not None else self._bytes(lua.eval("wrk.format()"))
        self.latencies: list[float] = []
        self.non_2xx = 0

    @staticmethod
    def _bytes(request) -> bytes:
        return request.encode("latin-1") if isinstance(request, str) else bytes(request)

    def next_request(self) -> bytes:
        return self.static if self.static is not None else self._bytes(self.request())


class _Connection(asyncio.Protocol):
    """One keep-alive connection: send a request, read its response, record it, send the next."""

    def __init__(self, thread: _Thread, deadline: float, finished: asyncio.Future):
        self.thread, self.deadline, self.finished = thread, deadline, finished
        self.buffer = bytearray()
        self.sent_at = 0.0

    def connection_made(self, transport):
        self.transport = transport
        self._guarded(self._send)

    def data_received(self, data):
        self._guarded(self._received, data)

    def _guarded(self, step, *args):
        """A failing script or response ends the run (raised by ``run``) rather than this connection alone."""
        try:
            step(*args)
        except Exception as error:
            if not self.finished.done():
                self.finished.set_exception(error)
            self.transport.abort()

    def _send(self):
        if time.perf_counter() >= self.deadline:
            self.transport.close()
            return
        request = self.thread.next_request()
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def _received(self, data):
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        lowered = {name.lower(): value for name, value in headers.items()}
        if "content-length" not in lowered:
            raise RuntimeError(f"a response without Content-Length: {head[0]} (chunked responses are not read)")
        length = int(lowered["content-length"])
        if len(self.buffer) < end + 4 + length:
            return
        done_at = time.perf_counter()
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        status = int(head[0].split(" ", 2)[1])
        thread = self.thread
        if done_at <= self.deadline:
            thread.latencies.append(done_at - self.sent_at)
            if status > 399:
                thread.non_2xx += 1
        if thread.response is not None:
            thread.response(status, thread.lua.table_from(headers), body.decode("utf-8", "replace"))
        if lowered.get("connection", "").lower() == "close":
            self.transport.close()
            return
        self._send()

    def connection_lost(self, exc):
        if not self.finished.done():
            self.finished.set_result(exc)


async def _connection(loop, host: str, port: int, thread: _Thread, deadline: float) -> None:
    while time.perf_counter() < deadline:  # the server may close a connection: open another
        connection = _Connection(thread, deadline, loop.create_future())
        await loop.create_connection(lambda made=connection: made, host, port)
        await connection.finished


def _percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0


def run(url_text: str, key: str, script: str, connections: int, threads: int, seconds: float) -> dict:
    url = urlsplit(url_text)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    written: list[str] = []
    main = _runtime(url, headers, script, written)
    workers = [_Thread(_runtime(url, headers, script)) for _ in range(threads)]
    make_thread = main.execute(_THREAD_LUA)
    handles = []
    for worker in workers:
        handle = make_thread(
            lambda name, value, lua=worker.lua: lua.globals().__setitem__(name, value),
            lambda name, lua=worker.lua: lua.globals()[name],
        )
        handles.append(handle)
        if main.globals().setup is not None:
            main.globals().setup(handle)

    async def drive() -> float:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(_connection(loop, url.hostname, url.port, workers[n % threads], deadline) for n in range(connections))
        )
        return time.perf_counter() - started

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        import uvloop

        elapsed = uvloop.run(drive())
    except ImportError:
        elapsed = asyncio.run(drive())
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    latencies = sorted(latency for worker in workers for latency in worker.latencies)
    requests = len(latencies)
    duration = min(elapsed, seconds)
    if main.globals().done is not None:
        summary = main.table_from({"duration": int(duration * 1e6), "requests": requests, "bytes": 0})
        latency = main.execute(
            "return function(percentile) return { percentile = function(self, p) return percentile(p) end } end"
        )(lambda p: _percentile(latencies, p) * 1e6)
        main.globals().done(summary, latency, main.table_from({}))
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "rps": requests / duration,
        "p50": _percentile(latencies, 50) * 1000,
        "p99": _percentile(latencies, 99) * 1000,
        "non_2xx": sum(worker.non_2xx for worker in workers),
        "output": "".join(written),
        "driver_cpu": cpu / elapsed,  # the driver's share of one core: near 1 would make it the bottleneck
    }


if __name__ == "__main__":
    url_arg, key_arg, script_path, connections_arg, threads_arg, seconds_arg = sys.argv[1:7]
    with open(script_path, encoding="utf-8") as file:
        result = run(url_arg, key_arg, file.read(), int(connections_arg), int(threads_arg), float(seconds_arg))
    sys.stdout.write(json.dumps(result))
