"""Campaign use cases, one module per job: ``campaigns`` (create, edit, activate, pause, end,
list and read with live counters), ``governance`` (the atomic counters that keep a campaign inside
its maximum count, budget and per-recipient caps, run in the issuing transaction) and
``approvals`` (the queue of rewards waiting for approval, and who may decide it). These are the
only writers of the campaign tables; issuance and approval themselves are the rewards domain's."""
