"""Webhooks: integrators' endpoints, signed deliveries of outbox events, every attempt, replay."""
