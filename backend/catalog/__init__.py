"""The catalogue: offers of partners, versioned terms, eligibility rules, voucher stock.

Use cases live in ``backend.catalog.services`` (offers, terms, ranking, eligibility, stock_import,
allocation, uat); views in ``backend.catalog.views``; the eligibility rule language in
``backend.catalog.eligibility``.
"""
