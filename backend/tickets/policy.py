"""The desk's rules that need no database: priority from category and reward value, the shipped
SLA targets, and the breach action's priority raise."""

from __future__ import annotations

from dataclasses import dataclass

from backend.tickets.views import CATEGORIES, CODE_ALREADY_USED, CODE_INVALID, HIGH, LOW, NORMAL, NOT_RECEIVED, PRIORITIES, URGENT

HOUR = 3600

# A code that does not work is a recipient at a till: more pressing than a question.
_BY_CATEGORY = {NOT_RECEIVED: NORMAL, CODE_INVALID: HIGH, CODE_ALREADY_USED: HIGH}


@dataclass(frozen=True)
class SlaTargets:
    """Business seconds from the clock's start to each target."""

    first_response_s: int
    next_response_s: int
    resolution_s: int

    def of(self, target: str) -> int:
        return getattr(self, f"{target}_s")


# Used for a programme and priority without a policy of its own (business hours, 8 a day).
DEFAULT_TARGETS = {
    URGENT: SlaTargets(1 * HOUR, 2 * HOUR, 8 * HOUR),
    HIGH: SlaTargets(2 * HOUR, 4 * HOUR, 16 * HOUR),
    NORMAL: SlaTargets(4 * HOUR, 8 * HOUR, 24 * HOUR),
    LOW: SlaTargets(8 * HOUR, 16 * HOUR, 40 * HOUR),
}


def raised(priority: str) -> str:
    """One step up (urgent stays urgent)."""
    index = PRIORITIES.index(priority)
    return PRIORITIES[min(index + 1, len(PRIORITIES) - 1)]


def priority_for(category: str, reward_value: int | None, high_value: int | None) -> str:
    """By rule: the category's priority, one step up for a reward worth ``high_value`` or more."""
    if category not in CATEGORIES:
        raise ValueError(category)
    priority = _BY_CATEGORY.get(category, LOW if category == "other" else NORMAL)
    if high_value is not None and reward_value is not None and reward_value >= high_value:
        priority = raised(priority)
    return priority
