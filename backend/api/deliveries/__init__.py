"""GraphQL of the deliveries domain: deliveries and attempts, the deliveries connection, resendReward."""
