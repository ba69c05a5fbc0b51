"""GraphQL types of the partners domain, by entity: ``profile``, ``onboarding``; ``errors`` and ``shared`` serve both."""
