"""The contact points of an upload's rows (country, email, phone), normalised a batch at a time.

Checking one person costs ≈ 100 µs (email-validator, phonenumbers): half the CPU of staging a
large file. A large upload therefore sends each batch's people to a process pool, where they are
normalised while the event loop validates and writes the batch before; a small one (less than a
full batch) is checked inline, without starting any process. Either way the work is
``contact_points_batch`` — a pure function of core — so a row gets the same values and errors as
anywhere else. Within one upload, the same (country, email, phone) is normalised once.

The pool is created on first use, once per process, with the "spawn" start method (the api and
the worker run threads, which a forked child would inherit in whatever state they were), and shut
down once it has been idle for ``IDLE_SECONDS`` (its processes hold ≈ 64 MB) and at exit. A pool that breaks (a worker killed) is dropped: that batch is checked inline and the
next large upload starts a new one.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from backend.core.contact_points import ContactPoints, contact_points_batch

Person = tuple[str, str, str]  # country, email, phone as written in the row (stripped; "" when empty)

WORKERS = max(1, min(4, os.cpu_count() or 1))
MAX_REMEMBERED = 20_000  # people remembered per upload: repeats are usually near each other
IDLE_SECONDS = 300.0  # an idle pool's processes are stopped; the next large upload starts new ones

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_last_used = 0.0


def _used() -> None:
    """Note the pool's use, and look again once it may have been idle long enough."""
    global _last_used
    _last_used = time.monotonic()
    asyncio.get_running_loop().call_later(IDLE_SECONDS, _stop_if_idle)


def _stop_if_idle() -> None:
    global _pool
    with _pool_lock:
        if _pool is None or time.monotonic() - _last_used < IDLE_SECONDS:
            return
        pool, _pool = _pool, None
    pool.shutdown(wait=False)


def _shared_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _drop_pool(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


@atexit.register
def shutdown_pool() -> None:
    """Stop the pool's workers (at exit; tests may call it too)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _as_arguments(people: list[Person]) -> list[tuple[str, str, str, None]]:
    return [(country, email, phone, None) for country, email, phone in people]


class ContactChecks:
    """The contact checks of one upload. ``start`` begins a batch (in the pool when ``in_pool``);
    awaiting ``PendingContacts.result()`` gives each of its people's ``ContactPoints``."""

    def __init__(self, *, in_pool: bool):
        self.in_pool = in_pool
        self._remembered: dict[Person, ContactPoints] = {}

    def start(self, people: set[Person]) -> PendingContacts:
        known = {person: self._remembered[person] for person in people if person in self._remembered}
        new = [person for person in people if person not in known]
        pool, futures = None, []
        if self.in_pool and new:
            pool = _shared_pool()
            _used()
            size = -(-len(new) // WORKERS)
            try:
                futures = [
                    pool.submit(contact_points_batch, _as_arguments(new[start : start + size]))
                    for start in range(0, len(new), size)
                ]
            except (BrokenProcessPool, RuntimeError):  # broken, or shut down at exit: check inline
                _drop_pool(pool)
                pool, futures = None, []
        return PendingContacts(self, known, new, pool, futures)

    def _remember(self, people: list[Person], points: list[ContactPoints]) -> None:
        if len(self._remembered) + len(people) > MAX_REMEMBERED:
            self._remembered.clear()
        self._remembered.update(zip(people, points, strict=True))


class PendingContacts:
    """A batch being checked: ``result()`` waits for it (or, inline, does it)."""

    def __init__(
        self,
        checks: ContactChecks,
        known: dict[Person, ContactPoints],
        new: list[Person],
        pool: ProcessPoolExecutor | None,
        futures: list[Future],
    ):
        self._checks, self._known, self._new, self._pool, self._futures = checks, known, new, pool, futures

    async def result(self) -> dict[Person, ContactPoints]:
        points: list[ContactPoints] | None = None
        if self._futures:
            try:
                parts = await asyncio.gather(*(asyncio.wrap_future(future) for future in self._futures))
                points = [point for part in parts for point in part]
            except BrokenProcessPool:
                _drop_pool(self._pool)
            _used()
        if points is None:
            points = contact_points_batch(_as_arguments(self._new))
        self._checks._remember(self._new, points)
        found = dict(self._known)
        found.update(zip(self._new, points, strict=True))
        return found
