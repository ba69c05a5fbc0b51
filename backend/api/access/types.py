"""GraphQL types of the access domain."""

from __future__ import annotations

import strawberry

from backend.core.authz import Actor, ActorKind

ViewerKind = strawberry.enum(
    ActorKind, name="ViewerKind", description="Who is calling: an API key, a console user or the system."
)


@strawberry.type(description="The caller: for integrators, the API key the request was sent with.")
class Viewer:
    kind: ViewerKind
    name: str = strawberry.field(description="The key's label, as shown in the audit log (e.g. `api-key:payroll sync`).")
    scopes: list[str] = strawberry.field(description="What this key may do, e.g. `recipients:read`.")

    @classmethod
    def from_actor(cls, actor: Actor) -> Viewer:
        return cls(kind=actor.kind, name=actor.label, scopes=sorted(permission.value for permission in actor.permissions))
