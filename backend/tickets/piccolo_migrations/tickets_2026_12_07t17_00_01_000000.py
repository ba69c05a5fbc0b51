"""What Piccolo's columns cannot say: one open ticket per reward (a second report joins it), the
escalation sweep's index over running steps, the agent queue's indexes, one policy per priority."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T17:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one open ticket per reward; sweep and agent-queue indexes; policy per priority"

_ACTIVE = "status IN ('new', 'open', 'waiting_on_recipient')"

_STATEMENTS = [
    f"CREATE UNIQUE INDEX tickets_one_open_per_reward ON tickets (issuance_id) WHERE {_ACTIVE} AND issuance_id IS NOT NULL",
    # The agent queue: every view is a range of (sla_due_at, id) among active tickets, per assignee or all.
    f"CREATE INDEX tickets_queue ON tickets (sla_due_at, id) WHERE {_ACTIVE}",
    f"CREATE INDEX tickets_queue_by_assignee ON tickets (assignee_id, sla_due_at, id) WHERE {_ACTIVE}",
    "CREATE INDEX tickets_closed_for_retention ON tickets (closed_at) WHERE purged_at IS NULL AND closed_at IS NOT NULL",
    # The escalation sweep: running steps by due time.
    "CREATE INDEX ticket_sla_steps_due ON ticket_sla_steps (due_at) WHERE state = 'pending' AND due_at IS NOT NULL",
    "CREATE UNIQUE INDEX sla_policies_programme_priority ON sla_policies (programme_id, priority)",
]


async def forwards():
    return ddl_migration(ID, "tickets", DESCRIPTION, _STATEMENTS)
