"""Corrective-action use cases, one module per action: ``rerank``, ``listing``, ``promotion``,
``replacement`` (maker-checker) and ``routing``; ``records`` keeps the record every action writes,
``integrity`` checks that nothing still running points at a retired offer."""
