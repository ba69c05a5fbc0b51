"""Catalogue use cases, one module per job: ``offers`` (create, edit, status, find), ``terms``
(versioned terms & conditions), ``ranking`` (catalogue order), ``eligibility`` (rules, preview,
who may have what), ``stock_import`` (voucher files), ``allocation`` (atomic code allocation,
confirm, release, reveal), ``stock`` (levels and low-stock alerts) and ``uat`` (the sandbox
issuance that proves a partner's fulfilment path), ``routing`` (per-segment ranking adjustments),
``retirement`` (offers handing their place to replacements), ``listing_refresh`` (a new creative or
terms in one step) and ``segments`` (the recipients a rule names). These are the only writers of
the catalogue tables."""
