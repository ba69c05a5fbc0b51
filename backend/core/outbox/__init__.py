"""Transactional outbox: the database is the source of truth, Redis is only the doorbell.

A service calls :func:`add` inside its write transaction, so the event exists if and only if the
state change does. After commit it calls :func:`ring` to enqueue the job at once; if Redis is
down the relay (:func:`relay_pending`, run by the worker's cron) enqueues it later. The job id is
the event id, so arq refuses a duplicate while one is queued; :func:`process` re-checks the
state, so a job that runs twice has its effect once.

Delivery is at-least-once: the relay may enqueue an event again after arq forgot it (Redis
restarted, a job timed out), and arq re-runs the job of a killed worker. :func:`process` is what
makes that safe: a conditional UPDATE claims the event, and the handler's effect commits in the
same transaction as the "done" mark. A job carries up to ``EVENTS_PER_JOB`` events (a round of
rings, a relay batch): :func:`process_batch` claims and handles them in one transaction, a
:class:`Batched` handler taking its topic's events together; if that fails, each event goes to a
job of its own, where :func:`process` counts its failures and retries it alone.

The package: ``events`` writes them, ``ringing`` rings the doorbell (and runs a handler's
after-commit actions), ``processing`` relays and runs them, ``failed_events`` lists and replays the
failed ones. Services across every domain use it as ``outbox.<name>``: the names are gathered here.
"""

from backend.core.outbox.events import (
    DONE,
    FAILED,
    JOB_NAME,
    MAX_ATTEMPTS,
    PENDING,
    SKIPPED,
    Batched,
    Event,
    Handler,
    add,
    batch_job_id,
    batched,
    event,
    job_id,
)
from backend.core.outbox.failed_events import REPLAY_CHUNK, STATUSES, EventView, Replayed, list_events, replay
from backend.core.outbox.processing import NoHandler, Processed, RetryLater, counts, process, process_batch, relay_pending
from backend.core.outbox.ringing import (
    EVENTS_PER_JOB,
    after_commit,
    doorbell,
    enqueue_events,
    open_doorbell,
    ring,
    ring_jobs,
    set_doorbell,
    wake,
)

__all__ = [
    "DONE",
    "EVENTS_PER_JOB",
    "Batched",
    "Event",
    "EventView",
    "FAILED",
    "Handler",
    "JOB_NAME",
    "MAX_ATTEMPTS",
    "NoHandler",
    "PENDING",
    "Processed",
    "REPLAY_CHUNK",
    "Replayed",
    "RetryLater",
    "SKIPPED",
    "STATUSES",
    "add",
    "after_commit",
    "batch_job_id",
    "batched",
    "counts",
    "doorbell",
    "enqueue_events",
    "event",
    "job_id",
    "list_events",
    "open_doorbell",
    "process",
    "process_batch",
    "relay_pending",
    "replay",
    "ring",
    "ring_jobs",
    "set_doorbell",
    "wake",
]
