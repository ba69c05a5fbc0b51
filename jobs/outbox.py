"""The outbox topics this worker handles: topic -> handler, composed from the domain job modules.

A domain job module (``jobs/<domain>.py``) exposes ``HANDLERS = {"reward.issued": deliver_reward, …}``,
each handler a thin adapter that calls its domain's service; add the module's ``HANDLERS`` to
``DOMAIN_HANDLERS`` below.

An event whose topic has no handler is retried and, after ``MAX_ATTEMPTS``, parked as failed (it
may belong to a newer release's worker). A topic written before the domain that will consume it
exists is listed in ``AWAITING_CONSUMER`` instead: marked done at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.core.outbox import Event, Handler
from backend.deliveries.services.claims import CLAIM_VIEWED, REWARD_ACTIVATED
from jobs import deliveries, tickets, uploads, webhooks

DOMAIN_HANDLERS: tuple[Mapping[str, Handler], ...] = (webhooks.HANDLERS, uploads.HANDLERS, deliveries.HANDLERS, tickets.HANDLERS)


async def kept_for_its_consumer(event: Event) -> None:
    """Nothing to do yet: the facts stay in their writer's append-only tables, where the consumer
    will read them back (partner performance: deliveries' claim_events)."""


# Topics whose consumer is still to be built. Its job module takes a topic over by handling it:
# compose() then refuses the two handlers until the topic is removed from here.
AWAITING_CONSUMER: Mapping[str, Handler] = {CLAIM_VIEWED: kept_for_its_consumer, REWARD_ACTIVATED: kept_for_its_consumer}


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
    return compose(*DOMAIN_HANDLERS, AWAITING_CONSUMER)
