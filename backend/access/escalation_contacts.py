"""Who hears of an SLA breach by email: the ticket's assignee, and the people who run programmes
(administrators and programme managers; users are not scoped to a programme). Inactive users
never. Read as the system, for the worker's notification of a breach."""

from __future__ import annotations

import uuid

from backend.access.roles import Role
from backend.access.tables import User

RUNS_PROGRAMMES = {Role.ADMIN.value, Role.PROGRAMME_MANAGER.value}


async def breach_contacts(assignee_id: uuid.UUID | None) -> list[str]:
    """Email addresses, each once: the assignee's first, then the administrators' by address."""
    rows = await User.select(User.id, User.email, User.roles).where(User.is_active.eq(True))
    assignee = [row["email"] for row in rows if assignee_id is not None and row["id"] == assignee_id]
    runners = sorted(row["email"] for row in rows if RUNS_PROGRAMMES & set(row["roles"] or ()))
    return list(dict.fromkeys(assignee + runners))
