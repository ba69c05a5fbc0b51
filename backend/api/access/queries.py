"""Access queries."""

from __future__ import annotations

import strawberry

from backend.api.access.types import Viewer


@strawberry.type
class AccessQueries:
    @strawberry.field(description="Who you are and which scopes your key holds. Needs no scope: try it first.")
    def viewer(self, info: strawberry.Info) -> Viewer:
        return Viewer.from_actor(info.context.actor)
