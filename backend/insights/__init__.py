"""Partner performance: append-only performance events (views, activations, redemptions, spend)
with the recipient's segment at that moment, daily roll-ups kept incrementally, and the metrics
queries the dashboards, the thresholds and the monthly reviews read (``backend.insights.metrics``)."""
