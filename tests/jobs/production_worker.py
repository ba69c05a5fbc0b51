"""A real worker process with the production handlers and jobs (``mirabelle worker``), for the tests
that kill one mid-job. Started with MIRABELLE_DATABASE_URL, MIRABELLE_REDIS_URL and
MIRABELLE_JOB_TIMEOUT_SECONDS (tests/jobs/worker_harness.py).

``reward.issued`` has no handler in this release's worker (the deliveries jobs handle it): here it
is acknowledged, so that a test issuing hundreds of rewards is not crowded by their retries."""

from backend.core.outbox import Event
from jobs.outbox import registered_handlers
from jobs.worker import run_worker


async def acknowledged(event: Event) -> None:
    return None


def production_handlers() -> dict:
    return {"reward.issued": acknowledged, **registered_handlers()}


if __name__ == "__main__":
    run_worker(production_handlers(), poll_delay=0.05)
