"""`mirabelle outbox list --failed` and `mirabelle outbox replay` as an operator types them: a real
process on the test's database; the replay is audited with the command line as the actor."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import uuid

from test_outbox_replay import failed_events

from backend.core import audit, outbox
from backend.core.audit import AuditFilter
from backend.core.authz import SYSTEM
from backend.core.db import write_transaction

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mirabelle(db, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIRABELLE_")}
    env.update(
        MIRABELLE_DATABASE_URL=db.url,
        MIRABELLE_SECRET_KEY=os.environ["MIRABELLE_SECRET_KEY"],
        MIRABELLE_VAR_DIR=os.environ["MIRABELLE_VAR_DIR"],
        COLUMNS="200",
    )
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", "outbox", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60
    )


async def test_list_failed_shows_each_failed_event_with_its_error(db):
    failed = await failed_events(2)
    async with write_transaction():
        pending = await outbox.add("probe.effect", {})
    listed = mirabelle(db, "list", "--failed")
    assert listed.returncode == 0, listed.stderr
    assert all(str(event_id) in listed.stdout for event_id in failed) and str(pending) not in listed.stdout
    assert listed.stdout.count("RuntimeError: the receiver is down") == 2
    assert "2 of 2 failed event(s)" in listed.stderr
    everything = mirabelle(db, "list")
    assert str(pending) in everything.stdout and "3 of 3 event(s)" in everything.stderr


async def test_replay_by_id_and_all_failed_are_audited_as_the_command_line(db):
    first, second, third = await failed_events(3)
    replayed = mirabelle(db, "replay", str(first))
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.split() == [str(first)] and "replayed 1 event(s)" in replayed.stderr
    assert {event.id for event in (await outbox.list_events(SYSTEM, "pending")).rows} == {first}

    everything = mirabelle(db, "replay", "--all-failed")
    assert everything.returncode == 0, everything.stderr
    assert sorted(everything.stdout.split()) == sorted([str(second), str(third)])
    assert (await outbox.list_events(SYSTEM)).total == 0
    entries = (await audit.search(SYSTEM, AuditFilter(action="outbox_event.replayed"))).rows
    labels = [entry["actor_label"] for entry in entries]
    assert len(entries) == 3 and all(label.startswith(f"cli:{getpass.getuser()}: mirabelle outbox replay") for label in labels)


async def test_a_replay_that_cannot_be_done_says_why_and_changes_nothing(db):
    [failed] = await failed_events(1)
    unknown = uuid.uuid4()
    refused = mirabelle(db, "replay", str(failed), str(unknown))
    assert refused.returncode == 1
    assert f"event {unknown} does not exist" in refused.stderr and "nothing was replayed" in refused.stderr
    assert [event.id for event in (await outbox.list_events(SYSTEM)).rows] == [failed]

    malformed = mirabelle(db, "replay", "not-an-id")
    assert malformed.returncode == 2 and "not an event id: not-an-id" in malformed.stderr
    neither = mirabelle(db, "replay")
    assert neither.returncode == 2 and "pass --all-failed" in neither.stderr
    assert (await audit.search(SYSTEM, AuditFilter(action="outbox_event.replayed"))).total == 0
