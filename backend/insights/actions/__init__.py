"""Corrective actions taken on a partner's performance (issue 19): re-rank offers, refresh a
listing, a targeted promotional push, replace a partner (maker-checker) and segment routing.

Each action is a use case in ``services/`` that acts through the owning domain's services
(catalogue, campaigns, deliveries) and records itself in ``insight_actions`` — who, when, what,
before and after, and the monthly review it was decided in (``review_id``, no foreign key: the
reviews are another app's) — beside the audit entries of every change it made."""
