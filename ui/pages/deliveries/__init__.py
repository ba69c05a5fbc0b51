"""The console's deliveries pages: Deliveries (failed first; fix a contact and resend, one, a
selection or every failed delivery of an upload; contact corrections from a CSV), a reward's
delivery timeline, and the success rates per channel and provider."""

from __future__ import annotations

from ui import navigation
from ui.auth import console_page


def register() -> None:
    # The pages are imported here, not at the top: importing one of this package's modules (its
    # words, a url) from another package must not pull in every page, which import each other.
    from ui.pages.deliveries.deliveries_list import deliveries_page
    from ui.pages.deliveries.success_rates import success_rates_page
    from ui.pages.deliveries.timeline import TIMELINE_PATH, delivery_timeline_page

    console_page(navigation.DELIVERIES)(deliveries_page)
    console_page(navigation.DELIVERIES, path=f"{TIMELINE_PATH}/{{issuance_id}}")(delivery_timeline_page)
    console_page(navigation.DELIVERY_RATES)(success_rates_page)
