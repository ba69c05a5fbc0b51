"""Partner-performance reviews: thresholds that flag a partner at once, and monthly reviews."""
