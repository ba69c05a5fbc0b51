"""The worker's delivery sender: a task of the worker process (like the ledger sweep, not an arq job),
running ``LANES`` loops that each claim a batch of due deliveries, send it and record it
(backend.deliveries.services.batch_sending), again at once while batches come back full.

What wakes it: a Redis pub/sub message (``queue.wake_sender``, published after the transaction that
made or re-queued deliveries commits), else its own look every ``IDLE_SECONDS``. The database is the
source of truth, so a lost message or a Redis outage only delays a send by that look's interval.
On stop the loops finish the batch in hand (its sends are bounded by the providers' timeouts);
one cut short is left to its claims' lease, as after a SIGKILL.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

import structlog

from backend.deliveries.policy import SendingPolicy
from backend.deliveries.queue import SENDER_CHANNEL
from backend.deliveries.services import batch_sending

log = structlog.get_logger(__name__)

SENDER = "delivery_sender"  # the running Sender, in the worker's ctx
LANES = 2  # batches in flight per worker: a slow provider's batch does not hold up the next one
IDLE_SECONDS = 1.0
GATHER_SECONDS = 0.1
STOP_WAIT_S = 15.0  # a batch in hand is given this long to finish on stop


class Sender:
    def __init__(self, redis: Any, policy: SendingPolicy, batch: int = batch_sending.BATCH) -> None:
        self.redis, self.policy, self.batch = redis, policy, batch
        self.rung = asyncio.Event()
        self.stopping = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._listen(), name="delivery-sender-bell")]
        self.tasks += [asyncio.create_task(self._lane(n == 0), name=f"delivery-sender-{n}") for n in range(LANES)]

    async def stop(self) -> None:
        self.stopping.set()
        self.rung.set()
        listener, lanes = self.tasks[0], self.tasks[1:]
        listener.cancel()
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*lanes, return_exceptions=True), STOP_WAIT_S)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _lane(self, first: bool) -> None:
        """The first lane answers rings; the others look every ``IDLE_SECONDS`` (a backlog, or the
        first lane held by a slow provider's batch), so one ring costs one claim per worker."""
        while not self.stopping.is_set():
            if first:
                self.rung.clear()  # a ring cleared here is answered by the claim just below
            try:
                sent = await batch_sending.send_due(self.policy, self.batch)
            except Exception as error:  # the database away: look again after the interval
                log.warning("deliveries.sender_failed", error=f"{type(error).__name__}: {error}")
                sent = []
            if len(sent) >= self.batch:
                continue  # a full batch: more are likely due
            if not first:
                await asyncio.sleep(IDLE_SECONDS)
                continue
            try:
                await asyncio.wait_for(self.rung.wait(), IDLE_SECONDS)
            except TimeoutError:
                continue
            # Rung: deliveries trickle in one per reward; a moment's wait lets a batch gather, so
            # its claim, lookups and commit are shared instead of paid per delivery.
            await asyncio.sleep(GATHER_SECONDS)

    async def _listen(self) -> None:
        """Turn the pub/sub messages into ``rung``; on a Redis outage, retry quietly (the lanes poll)."""
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(SENDER_CHANNEL)
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=IDLE_SECONDS)
                    if message is not None:
                        self.rung.set()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.debug("deliveries.sender_bell_lost", error=str(error))
                await asyncio.sleep(IDLE_SECONDS)
            finally:
                with suppress(Exception):
                    await pubsub.aclose()


def start_sender(ctx: dict[str, Any], policy: SendingPolicy) -> None:
    """Start the sender as tasks of the worker process (its ``on_startup``)."""
    if ctx.get(SENDER) is None:
        ctx[SENDER] = Sender(ctx["redis"], policy)
        ctx[SENDER].start()


async def stop_sender(ctx: dict[str, Any]) -> None:
    """Stop the sender (its ``on_shutdown``; safe to call twice)."""
    sender = ctx.pop(SENDER, None)
    if sender is not None:
        await sender.stop()
