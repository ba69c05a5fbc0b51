"""The console's insights pages: partner performance (monthly reviews, thresholds, flags)."""
