"""Partner use cases, one module per job: ``profiles`` (create, edit, list, pause, offboard),
``onboarding`` (checklists, evidence, stage sign-off, what blocks go-live), ``go_live``
(maker-checker request and approval) and ``trail_export`` (the compliance export).
These functions are the only writers of the partner tables."""
