"""The one error of the rule language: what is wrong, and where."""

from __future__ import annotations

from backend.core.errors import DomainError, FieldError


class RuleError(DomainError):
    """An invalid rule. ``position`` is the 0-based offset into the rule text (where a caret goes);
    the message reads "expected ']' at 17"."""

    def __init__(self, reason: str, position: int, field: str = "eligibility_rule"):
        self.reason = reason
        self.position = position
        super().__init__(FieldError(field=field, code="INVALID_RULE", message=f"{reason} at {position}"))
