"""GraphQL of the corrective actions (issue 19): backend.insights.actions behind typed payloads."""
