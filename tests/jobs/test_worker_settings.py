"""How the worker is put together: refusing to start without Redis, the relay's schedule, the retry
delays and the topic registry."""

import pytest
from outbox_probe import record_effect

from backend.core.settings import SettingsError, get_settings
from jobs.outbox import compose
from jobs.worker import NO_REDIS, Backoff, build_worker_settings, relay_schedule, run_worker


def test_the_worker_refuses_to_start_without_a_redis_url():
    without_redis = get_settings().model_copy(update={"redis_url": ""})
    with pytest.raises(SettingsError, match="MIRABELLE_REDIS_URL is not set"):
        build_worker_settings({}, settings=without_redis)
    with pytest.raises(SystemExit) as stopped:
        run_worker({}, settings=without_redis)
    assert str(stopped.value) == f"mirabelle worker: {NO_REDIS}"


def test_the_relay_runs_at_start_up_then_on_the_configured_interval():
    settings = get_settings().model_copy(update={"redis_url": "redis://127.0.0.1:6379/0", "outbox_relay_seconds": 15})
    relay = next(job for job in build_worker_settings({}, settings=settings)["cron_jobs"] if job.name == "cron:relay_outbox")
    assert relay.run_at_startup and relay.second == {0, 15, 30, 45}
    assert relay_schedule(120) == {"second": 0, "minute": set(range(0, 60, 2))}
    assert relay_schedule(3600) == {"second": 0, "minute": 0}


def test_retry_delays_grow_exponentially_with_jitter_up_to_the_cap():
    backoff = Backoff(base_seconds=2, cap_seconds=60)
    for attempts, ceiling in [(1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (20, 60)]:
        delays = {backoff.delay(attempts) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), (attempts, sorted(delays))
        assert len(delays) > 1  # jittered


def test_a_topic_claimed_by_two_handlers_is_refused():
    async def other(event):
        return None

    assert compose({"reward.issued": record_effect}, {"ticket.opened": other}) == {
        "reward.issued": record_effect,
        "ticket.opened": other,
    }
    with pytest.raises(ValueError, match="'reward.issued' has two handlers"):
        compose({"reward.issued": record_effect}, {"reward.issued": other})


def test_every_job_of_the_worker_has_a_name_of_its_own():
    """arq keeps the last of two jobs with one name: the deliveries' and the webhooks' crons were
    both ``enqueue_due_deliveries``, and the webhooks' never ran."""
    settings = get_settings().model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    built = build_worker_settings({}, settings=settings)
    names = [job.name for job in [*built["functions"], *built["cron_jobs"]]]
    assert len(names) == len(set(names)) and {"cron:enqueue_due_deliveries", "cron:enqueue_due_sends"} <= set(names)


def test_two_jobs_with_one_name_are_refused_at_start_up():
    from arq.cron import cron

    from jobs import webhooks
    from jobs.worker import _refuse_twins

    twin = cron(webhooks.enqueue_due_deliveries, second=0)
    with pytest.raises(ValueError, match="cron:enqueue_due_deliveries"):
        _refuse_twins([twin, *webhooks.cron_jobs({"second": 0}, 30)])
