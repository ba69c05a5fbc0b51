"""Errors services raise. Adapters turn them into typed GraphQL errors or console messages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str | None
    code: str
    message: str


class DomainError(Exception):
    """A rule refused the operation; nothing was changed."""

    def __init__(self, errors: list[FieldError] | FieldError):
        self.errors = errors if isinstance(errors, list) else [errors]
        super().__init__("; ".join(f"{e.field or '-'}: {e.code}: {e.message}" for e in self.errors))

    @classmethod
    def single(cls, code: str, message: str, field: str | None = None) -> "DomainError":
        return cls(FieldError(field=field, code=code, message=message))

    @property
    def code(self) -> str:
        return self.errors[0].code


class NotFound(DomainError):
    def __init__(self, entity: str, key: object, field: str | None = "id"):
        super().__init__(FieldError(field=field, code="NOT_FOUND", message=f"{entity} {key} does not exist"))


class PermissionDenied(DomainError):
    def __init__(self, permission: str, actor_label: str):
        self.permission = permission
        super().__init__(FieldError(field=None, code="FORBIDDEN", message=f"{actor_label} lacks the permission '{permission}'"))
