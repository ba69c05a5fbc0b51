"""GraphQL for partner-performance reviews: flags, monthly reviews, starting and closing them."""
