"""A write transaction that fails as it ends gives its connection back: a COMMIT that fails must not
keep a pool slot for ever, nor leave the dead transaction as the task's current one."""

import pytest

from backend.core import sql
from backend.core.db import write_transaction


async def test_a_commit_that_fails_gives_the_connection_back_and_the_next_transaction_is_its_own(db):
    if db.kind != "postgres":
        pytest.skip("a constraint checked at COMMIT: deferred constraints are PostgreSQL's")
    pool = db.engine.pool
    idle_before = pool.get_idle_size()
    for _ in range(3):  # more than once: a leak per failure would show as fewer idle connections
        with pytest.raises(Exception, match="duplicate key"):
            async with write_transaction():
                await sql.fetch("CREATE TEMP TABLE deferred_probe (n int UNIQUE DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP")
                await sql.fetch("INSERT INTO deferred_probe VALUES (1), (1)")
    assert pool.get_idle_size() == idle_before
    async with write_transaction() as transaction:  # not joined to the failed one
        assert (await sql.fetchrow("SELECT txid_current_if_assigned() IS NULL AS fresh"))["fresh"]
        assert transaction.connection is not None
