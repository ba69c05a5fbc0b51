"""Rewards use cases, one module per job: ``issuance`` (issue one reward or a batch under a
campaign's governance, idempotently, and the dry run that prices a batch), ``approvals`` (approve
or reject rewards waiting for approval, one or many) and ``issuances`` (read them). Bulk uploads
(``backend.rewards.uploads``) issue through ``issuance``. These are the only writers of the rewards
tables."""
