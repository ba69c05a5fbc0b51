"""GraphQL types of the catalogue, by entity: ``offer``, ``terms``, ``stock``; ``errors`` and ``shared`` serve them all."""
