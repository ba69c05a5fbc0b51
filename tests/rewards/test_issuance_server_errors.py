"""Refused and replayed issuances raise nothing on the database server, so none of their values can
reach its log (issue 16: the old ``mirabelle_unchanged()`` error carried them there).

How it is counted, without trusting the log: every error the server raises for a statement is
answered to the client that sent it, so an asyncpg query logger on every pool connection
(``Connection.add_query_logger``: each statement, with the exception it raised, if any) sees every
server-side error our statements cause. The server's own log is read too when this machine has
it (the tail written during the test, lines of this test's database only): no ERROR line, and none
of the request's values.

Seen to fail: with a refusal raised in the database again (``counters.take`` calling
``mirabelle_unchanged(0)`` in a savepoint when the campaign's count was short), the logger
counted 19 errors."""

from __future__ import annotations

import asyncio
import glob
import os
import uuid

import pytest
from campaign_steps import make_people, make_programme, points_campaign

from backend.campaigns.services import campaigns
from backend.core.authz import SYSTEM
from backend.rewards.services.issuance import RewardRequest, issue_reward

SERVER_LOGS = "/var/log/postgresql/postgresql-*-main.log"


@pytest.fixture
async def server_errors(db):
    """The exceptions of every statement sent through the pool during the test."""
    if db.kind != "postgres":
        pytest.skip("about what the PostgreSQL server raises and logs")
    errors: list = []

    def logged(record):
        if record.exception is not None:
            errors.append((record.query, record.exception))

    async def watch(connection):
        connection.add_query_logger(logged)

    await db.engine.close_connection_pool()
    await db.engine.start_connection_pool(min_size=1, max_size=40, init=watch)
    yield errors


def _log_tail() -> tuple[str, int] | None:
    paths = sorted(glob.glob(SERVER_LOGS), key=os.path.getmtime)
    if not paths or not os.access(paths[-1], os.R_OK):
        return None
    return paths[-1], os.path.getsize(paths[-1])


def _written_since(mark: tuple[str, int]) -> str:
    path, offset = mark
    with open(path, "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


async def test_refused_and_replayed_issuances_raise_nothing_on_the_server(db, server_errors, admin):
    mark = _log_tail()
    marker = f"secret-{uuid.uuid4().hex}"  # in every request's key and source event
    programme = await make_programme()
    people = await make_people(3)
    capped = await points_campaign(admin, programme.id, max_rewards=1, name="Capped")
    budget = await points_campaign(admin, programme.id, budget=50, name="Budget")
    per_recipient = await points_campaign(admin, programme.id, recipient_max_count=1, name="Per recipient")
    windowed = await points_campaign(admin, programme.id, recipient_max_count=1, recipient_window_days=7, name="Window")

    def request(campaign, person, value, n):
        return RewardRequest(campaign.id, person, None, value, f"{marker}-key-{n}", source_event=f"{marker}-event-{n}")

    outcomes = await asyncio.gather(*(issue_reward(admin, request(capped, people[n % 3], 10, n)) for n in range(20)))
    assert sum(outcome.status == "issued" for outcome in outcomes) == 1
    outcomes = [await issue_reward(admin, request(budget, people[0], 40, 100 + n)) for n in range(2)]
    assert [outcome.status for outcome in outcomes] == ["issued", "rejected"]
    for campaign, base in ((per_recipient, 200), (windowed, 300)):
        outcomes = [await issue_reward(admin, request(campaign, people[1], 5, base + n)) for n in range(2)]
        assert [outcome.status for outcome in outcomes] == ["issued", "rejected"]
    replays = await asyncio.gather(*(issue_reward(admin, request(budget, people[2], 5, 400)) for _ in range(10)))
    assert sorted(outcome.replayed for outcome in replays) == [False] + [True] * 9
    await campaigns.pause_campaign(admin, per_recipient.id)
    assert (await issue_reward(admin, request(per_recipient, people[2], 5, 500))).status == "rejected"
    with pytest.raises(Exception, match="IDEMPOTENCY_CONFLICT|different request"):
        await issue_reward(admin, request(budget, people[1], 6, 400))  # the same key, another request

    assert server_errors == []
    if mark is not None:
        await asyncio.sleep(0.2)  # the server writes its log line as it answers
        database = db.url.rpartition("/")[2]
        ours = [line for line in _written_since(mark).splitlines() if f"@{database} " in line]
        assert [line for line in ours if "ERROR" in line] == []
        assert marker not in _written_since(mark)
    assert (await campaigns.get_campaign(SYSTEM, capped.id)).issued_count == 1
