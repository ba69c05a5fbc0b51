"""The console's catalogue pages: Partners (list, onboarding checklist and go-live), Offers (list,
editor with the eligibility preview, stock and voucher imports) and Ranking (the catalogue order)."""

from __future__ import annotations

from ui import navigation
from ui.auth import console_page


def register() -> None:
    # The pages are imported here, not at the top: importing one of this package's modules (its
    # words, a url) from another package must not pull in every page, which import each other.
    from ui.pages.catalog.offer_editor import NEW_OFFER, new_offer_page, offer_page
    from ui.pages.catalog.offers_list import offers_page
    from ui.pages.catalog.partner_page import partner_page
    from ui.pages.catalog.partners_list import partners_page
    from ui.pages.catalog.ranking import ranking_page
    from ui.pages.catalog.stock_page import stock_page

    console_page(navigation.PARTNERS)(partners_page)
    console_page(navigation.PARTNERS, path=f"{navigation.PARTNERS.path}/{{partner_id}}")(partner_page)
    console_page(navigation.OFFERS)(offers_page)
    # "new" before "{offer_id}": the first route that matches wins
    console_page(NEW_OFFER)(new_offer_page)
    console_page(navigation.OFFERS, path=f"{navigation.OFFERS.path}/{{offer_id}}")(offer_page)
    console_page(navigation.OFFERS, path=f"{navigation.OFFERS.path}/{{offer_id}}/stock")(stock_page)
    console_page(navigation.RANKING)(ranking_page)
