"""The one scope check of the API: every guarded field names the Permission its API key needs.

A query field without the scope fails with a FORBIDDEN GraphQL error. A mutation answers with its
payload carrying a FORBIDDEN error instead, so clients read refusals in one place; the service's
``actor.require`` stays the real guard behind both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from backend.api.errors import FORBIDDEN
from backend.core.authz import Permission
from backend.core.errors import FieldError

# Builds a mutation's payload from errors: how a mutation says "refused, nothing changed".
Refusal = Callable[[list[FieldError]], Any]


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION], name="requiresScope", description="The API-key scope this field needs."
)
class RequiresScope:
    scope: str


class HasScope(BasePermission):
    def __init__(self, permission: Permission, refusal: Refusal | None = None):
        self.permission = permission
        self.refusal = refusal
        self.message = (
            f"this API key lacks the scope '{permission.value}'; "
            "an administrator can create a key with it on the console's API keys page"
        )
        self.error_extensions = {"code": FORBIDDEN, "scope": permission.value}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return actor is not None and actor.can(self.permission)

    def on_unauthorized(self) -> Any:
        if self.refusal is None:
            return super().on_unauthorized()  # raises the FORBIDDEN GraphQL error
        return self.refusal([FieldError(field=None, code=FORBIDDEN, message=self.message)])

    @property
    def schema_directive(self) -> object:
        return RequiresScope(scope=self.permission.value)


def requires(permission: Permission, refusal: Refusal | None = None) -> list[FieldExtension]:
    """Field extensions for ``@strawberry.field(extensions=requires(Permission.X))``."""
    return [PermissionExtension(permissions=[HasScope(permission, refusal)])]
