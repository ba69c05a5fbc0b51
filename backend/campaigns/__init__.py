"""Campaigns: what may be issued, to whom, how much, and the governance counters that keep it so."""
