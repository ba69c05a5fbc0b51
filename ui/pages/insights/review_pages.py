"""Registration of the partner-performance pages (the reviews, one review, the thresholds, the dashboard)."""

from __future__ import annotations

from ui import navigation
from ui.auth import console_page
from ui.pages.insights.dashboard import DASHBOARD_PATH, dashboard_page
from ui.pages.insights.review_page import review_page
from ui.pages.insights.reviews import REVIEWS_PATH, THRESHOLDS_PATH, reviews_page
from ui.pages.insights.thresholds import thresholds_page
from ui.pages.insights.used_codes import USED_CODES_PATH, used_codes_page


def register() -> None:
    console_page(navigation.PARTNER_PERFORMANCE)(reviews_page)
    console_page(navigation.PARTNER_PERFORMANCE, path=THRESHOLDS_PATH)(thresholds_page)
    console_page(navigation.PARTNER_PERFORMANCE, path=f"{REVIEWS_PATH}/{{review_id}}")(review_page)
    console_page(navigation.PARTNER_PERFORMANCE, path=DASHBOARD_PATH)(dashboard_page)
    console_page(navigation.PARTNER_PERFORMANCE, path=USED_CODES_PATH)(used_codes_page)
