"""Webhook use cases, one module per job: endpoints, deliveries (fan-out, lists, replay), sending."""
