"""A real `mirabelle worker` process for the resilience tests: the production handlers and jobs,
with a sending policy whose claim lease is short (a killed worker's claim runs out in seconds, not
a minute). Started by tests/deliveries/test_delivery_resilience.py through tests/jobs/worker_harness.py
(MIRABELLE_DATABASE_URL, MIRABELLE_REDIS_URL, MIRABELLE_JOB_TIMEOUT_SECONDS)."""

from backend.core.backoff import Backoff
from backend.deliveries.policy import SendingPolicy
from jobs.worker import run_worker

LEASE_SECONDS = 4.0  # beyond the provider's timeout in these tests (3 s)
RESILIENCE = SendingPolicy(attempts_per_provider=5, backoff=Backoff(base_seconds=0.2, cap_seconds=1), lease_seconds=LEASE_SECONDS)

if __name__ == "__main__":
    run_worker(sending_policy=RESILIENCE, poll_delay=0.05)
