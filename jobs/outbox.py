"""The outbox topics this worker handles: topic -> handler, composed from the domain job modules.

A domain job module (``jobs/<domain>.py``) exposes ``HANDLERS = {"reward.issued": deliver_reward, …}``,
each handler a thin adapter that calls its domain's service; add the module's ``HANDLERS`` to
``DOMAIN_HANDLERS`` below. A handler that can take many events of its topic at once (one read, one
multi-row insert) is given as ``outbox.batched(handle_events)``: a job's events of that topic come
to it together, and an event on its own as a list of one.

An event whose topic has no handler is retried and, after ``MAX_ATTEMPTS``, parked as failed (it
may belong to a newer release's worker). A topic written before the domain that will consume it
exists is listed in ``AWAITING_CONSUMER`` instead: marked done at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.core.outbox import Handler
from jobs import deliveries, insight_reviews, insights, recipient_imports, tickets, uploads, webhooks

DOMAIN_HANDLERS: tuple[Mapping[str, Handler], ...] = (
    webhooks.HANDLERS,
    uploads.HANDLERS,
    deliveries.HANDLERS,
    tickets.HANDLERS,
    recipient_imports.HANDLERS,
    insights.HANDLERS,
    insight_reviews.HANDLERS,
)


# Topics whose consumer is still to be built, each mapped to a handler that marks it done. Its job
# module takes a topic over by handling it: compose() then refuses the two handlers until the topic
# is removed from here. (Empty since insights took reward.claim_viewed and reward.activated.)
AWAITING_CONSUMER: Mapping[str, Handler] = {}


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
