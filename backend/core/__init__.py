"""Domain-agnostic core: settings, database engine, ids, clock, errors, authorization, audit, outbox."""
