"""The outbox topics this worker handles: topic -> handler, composed from the domain job modules.

A domain job module (``jobs/<domain>.py``) exposes ``HANDLERS = {"reward.issued": deliver_reward, …}``,
each handler a thin adapter that calls its domain's service; add the module's ``HANDLERS`` to
``DOMAIN_HANDLERS`` below.
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.core.outbox import Handler
from jobs import deliveries, tickets, uploads, webhooks

DOMAIN_HANDLERS: tuple[Mapping[str, Handler], ...] = (webhooks.HANDLERS, uploads.HANDLERS, deliveries.HANDLERS, tickets.HANDLERS)


def compose(*handler_maps: Mapping[str, Handler]) -> dict[str, Handler]:
    """Merge topic maps; a topic claimed twice is a wiring mistake, refused at start-up."""
    composed: dict[str, Handler] = {}
    for handler_map in handler_maps:
        for topic, handler in handler_map.items():
            if topic in composed and composed[topic] is not handler:
                raise ValueError(f"outbox topic {topic!r} has two handlers")
            composed[topic] = handler
    return composed


def registered_handlers() -> dict[str, Handler]:
    return compose(*DOMAIN_HANDLERS)
