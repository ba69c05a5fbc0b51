"""Rewards: issuances (one, a batch, a bulk upload) decided against a campaign's governance."""
