"""The onboarding workflow, defined in one place: the stages in order, and each stage's checklist.

A stage is worked only after the previous one is signed off; an item is done only with evidence;
a stage is signed off only when all its items are done; go-live needs every stage signed off and
a second person's approval. Changing this list changes the workflow for partners still onboarding
(their completed items stay; new items appear as open).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.core.errors import DomainError


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    # Completed only by a system run (the sandbox UAT issuance), never ticked by hand.
    automated: bool = False


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    items: tuple[ChecklistItem, ...]

    def item(self, key: str) -> ChecklistItem:
        for item in self.items:
            if item.key == key:
                return item
        raise DomainError.single(
            "UNKNOWN_ITEM", f"stage {self.key} has no item '{key}' (items: {', '.join(i.key for i in self.items)})", field="item"
        )


PROFILING, OFFER_SETUP, ELIGIBILITY, UAT, GO_LIVE = "profiling", "offer_setup", "eligibility", "uat", "go_live"
SANDBOX_ISSUANCE = "sandbox_issuance"

STAGES: tuple[Stage, ...] = (
    Stage(
        PROFILING,
        "Profiling",
        (
            ChecklistItem("company_verified", "Company identity and registration verified"),
            ChecklistItem("contacts_confirmed", "Commercial and support contacts confirmed"),
            ChecklistItem("agreement_signed", "Partner agreement signed"),
            ChecklistItem("due_diligence", "Due-diligence review passed"),
        ),
    ),
    Stage(
        OFFER_SETUP,
        "Offer set-up & terms",
        (
            ChecklistItem("offers_configured", "Offers configured: denominations, expiry, creative"),
            ChecklistItem("terms_approved", "Terms & conditions reviewed and approved"),
            ChecklistItem("fulfilment_ready", "Voucher stock loaded or fulfilment path agreed"),
        ),
    ),
    Stage(
        ELIGIBILITY,
        "Eligibility rules",
        (
            ChecklistItem("rules_defined", "Eligibility rules written for every offer"),
            ChecklistItem("preview_reviewed", "Eligibility preview reviewed with the programme owner"),
        ),
    ),
    Stage(
        UAT,
        "Testing & UAT",
        (
            ChecklistItem(SANDBOX_ISSUANCE, "Sandbox issuance end to end (stock → sandbox → confirm → release)", automated=True),
            ChecklistItem("redemption_tested", "Redemption tested with the partner"),
            ChecklistItem("support_path_tested", "Complaint and support path tested"),
        ),
    ),
    Stage(
        GO_LIVE,
        "Go-live",
        (
            ChecklistItem("launch_date_agreed", "Launch date agreed with the partner"),
            ChecklistItem("support_briefed", "Support desk briefed"),
            ChecklistItem("monitoring_ready", "Stock and performance monitoring in place"),
        ),
    ),
)

STAGE_KEYS = tuple(stage.key for stage in STAGES)


def stage(key: str) -> Stage:
    for candidate in STAGES:
        if candidate.key == key:
            return candidate
    raise DomainError.single("UNKNOWN_STAGE", f"there is no stage '{key}' (stages: {', '.join(STAGE_KEYS)})", field="stage")


def previous_stage(key: str) -> Stage | None:
    index = STAGE_KEYS.index(stage(key).key)
    return STAGES[index - 1] if index else None
