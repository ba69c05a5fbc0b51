"""Redemption partners: profiles, the gated onboarding workflow, evidence, go-live approval.

Use cases live in ``backend.partners.services`` (profiles, onboarding, go_live, evidence,
trail_export); what they return is defined in ``backend.partners.views``; the onboarding stages
and their checklists are defined once, in ``backend.partners.checklist``.
"""
