"""The worker's senders: tasks of the worker process (like the ledger sweep, not arq jobs), one for
reward deliveries and one for webhooks. Each runs ``LANES`` loops that claim a batch of due work,
send it and record it (``backend.deliveries.services.batch_sending``,
``backend.webhooks.services.sending.send_due``), again at once while batches come back full.

What wakes a sender: a Redis pub/sub message on its channel (``outbox.wake``, published after the
transaction that made or re-queued the work commits), else its own look every ``IDLE_SECONDS``.
The database is the source of truth, so a lost message or a Redis outage only delays a send by that
look's interval. On stop the loops finish the batch in hand (its sends are bounded by the
timeouts); one cut short is left to its claims' lease, as after a SIGKILL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import structlog

from backend.deliveries import queue as delivery_queue
from backend.deliveries.policy import SendingPolicy
from backend.deliveries.services import batch_sending
from backend.webhooks import queue as webhook_queue
from backend.webhooks.policy import DeliveryPolicy
from backend.webhooks.services import sending as webhook_sending

log = structlog.get_logger(__name__)

SENDERS = "senders"  # the running Senders, in the worker's ctx
LANES = 2  # batches in flight per worker: a slow receiver's batch does not hold up the next one
IDLE_SECONDS = 1.0
GATHER_SECONDS = 0.1
STOP_WAIT_S = 15.0  # a batch in hand is given this long to finish on stop


class Sender:
    """``send_due()`` claims, sends and records one batch of at most ``batch`` and says how many it
    handled; ``channel`` is the pub/sub channel that says work is due."""

    def __init__(self, name: str, redis: Any, channel: str, send_due: Callable[[], Awaitable[int]], batch: int) -> None:
        self.name, self.redis, self.channel, self.send_due, self.batch = name, redis, channel, send_due, batch
        self.rung = asyncio.Event()
        self.stopping = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._listen(), name=f"{self.name}-sender-bell")]
        self.tasks += [asyncio.create_task(self._lane(n == 0), name=f"{self.name}-sender-{n}") for n in range(LANES)]

    async def stop(self) -> None:
        self.stopping.set()
        self.rung.set()
        listener, lanes = self.tasks[0], self.tasks[1:]
        listener.cancel()
        try:
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*lanes, return_exceptions=True), STOP_WAIT_S)
        finally:  # even when the stop itself is cancelled: no lane may outlive it
            for task in self.tasks:
                task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _lane(self, first: bool) -> None:
        """The first lane answers rings; the others look every ``IDLE_SECONDS`` (a backlog, or the
        first lane held by a slow receiver's batch), so one ring costs one claim per worker."""
        while not self.stopping.is_set():
            if first:
                self.rung.clear()  # a ring cleared here is answered by the claim just below
            try:
                sent = await self.send_due()
            except Exception as error:  # the database away: look again after the interval
                log.warning("senders.batch_failed", sender=self.name, error=f"{type(error).__name__}: {error}")
                sent = 0
            if sent >= self.batch:
                continue  # a full batch: more are likely due
            if not first:
                await asyncio.sleep(IDLE_SECONDS)
                continue
            try:
                await asyncio.wait_for(self.rung.wait(), IDLE_SECONDS)
            except TimeoutError:
                continue
            # Rung: work trickles in one delivery per reward or event; a moment's wait lets a batch
            # gather, so its claim, lookups and commit are shared instead of paid per delivery.
            await asyncio.sleep(GATHER_SECONDS)

    async def _listen(self) -> None:
        """Turn the pub/sub messages into ``rung``; on a Redis outage, retry quietly (the lanes poll)."""
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=IDLE_SECONDS)
                    if message is not None:
                        self.rung.set()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.debug("senders.bell_lost", sender=self.name, error=str(error))
                await asyncio.sleep(IDLE_SECONDS)
            finally:
                with suppress(Exception):
                    await pubsub.aclose()


def start_senders(ctx: dict[str, Any], deliveries: SendingPolicy, webhooks: DeliveryPolicy) -> None:
    """Start the senders as tasks of the worker process (its ``on_startup``)."""
    if ctx.get(SENDERS) is not None:
        return

    async def send_deliveries() -> int:
        return len(await batch_sending.send_due(deliveries))

    async def send_webhooks() -> int:
        return len(await webhook_sending.send_due(webhooks))

    redis = ctx["redis"]
    ctx[SENDERS] = [
        Sender("deliveries", redis, delivery_queue.SENDER_CHANNEL, send_deliveries, batch_sending.BATCH),
        Sender("webhooks", redis, webhook_queue.SENDER_CHANNEL, send_webhooks, webhook_sending.BATCH),
    ]
    for sender in ctx[SENDERS]:
        sender.start()


async def stop_senders(ctx: dict[str, Any]) -> None:
    """Stop the senders (its ``on_shutdown``; safe to call twice)."""
    senders = ctx.pop(SENDERS, None) or []
    await asyncio.gather(*(sender.stop() for sender in senders))
