"""GraphQL for issuing rewards under the governance of a campaign (scope rewards:write / rewards:read)."""
