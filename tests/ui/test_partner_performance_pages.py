"""Partner performance in the console: a flagged partner in the home's inbox and on its page; the
monthly review with the flagged row highlighted (figure and threshold shown), a chart, decisions
recorded and the review closed for good; thresholds set with their rule in words."""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import pytest
from delivery_console_steps import choose, element, labels_within
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "insights"))  # the insights steps

from insight_steps import make_shop
from review_steps import funnel

from backend.core.clock import utcnow
from backend.insights.reviews import decisions, flags, reviews, thresholds
from backend.insights.reviews.months import month_text, previous_month
from backend.insights.reviews.thresholds import ThresholdInput


@pytest.fixture
async def flagged(admin):
    """Last month: Chai Point activates 10 % of its views (under the programme's 20 %), Book Nook 60 %."""
    shop = await make_shop(admin)
    first = previous_month(utcnow().date().replace(day=1))
    await funnel(shop, 0, first + timedelta(days=2), views=20, activations=2, redemptions=1, spend_minor=25_000)
    await funnel(shop, 1, first + timedelta(days=3), views=10, activations=6, redemptions=3, spend_minor=75_000)
    await thresholds.set_threshold(admin, ThresholdInput(shop.programme_id, "activation_rate", limit_value=2000, window_days=90))
    await flags.sweep()
    shop.review = (await reviews.start_review(admin, shop.programme_id, month_text(first))).review
    return shop


async def test_the_inbox_and_the_partner_page_show_the_flag(console: User, flagged, patience) -> None:
    await console.open("/")
    await console.should_see(marker="inbox-flagged-partners", retries=patience)
    await console.should_see("1 partner is flagged for performance")
    await console.open(f"/partners/{flagged.partners[0].id}")
    await console.should_see(marker="partner-performance-flags", retries=patience)
    await console.should_see("Activation rate below 20.0 % over 90 days: 10.0 %")
    await console.open(f"/partners/{flagged.partners[1].id}")
    await console.should_see("Within every threshold of its programmes.", retries=patience)


async def test_the_review_highlights_the_flagged_partner_records_a_decision_and_closes(
    console: User, flagged, patience, admin
) -> None:
    await console.open("/partner-performance")
    await console.should_see(marker="reviews-list", retries=patience)
    await console.should_see(marker="flagged-partner")
    console.find(marker="review-link").click()
    await console.should_see(marker="review-table", retries=patience)
    row = labels_within(console, "flagged-row")
    assert row[0] == "Dining" and "10.0 % (was —)" in row and "Activation rate below 20.0 % over 90 days: 10.0 %" in row
    assert labels_within(console, "review-row")[0] == "Dining"  # Book Nook, not flagged
    chart = element(console, "review-chart")
    assert chart.options["xAxis"]["data"] == ["Chai Point", "Book Nook"]
    assert chart.options["series"][0]["data"] == [10.0, 60.0]

    choose(console, "decision-kind", "replace_partner")
    choose(console, "decision-partner", str(flagged.partners[0].id))
    console.find(marker="decision-note").type("Move its places to Book Nook")
    console.find(marker="record-decision").click()
    await console.should_see("Replace partner · Chai Point", retries=patience)

    console.find(marker="close-review").click()
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Closed", retries=patience)
    await console.should_not_see(marker="decision-form")
    closed = await reviews.get_review(admin, flagged.review.id)
    assert closed.status == "closed" and closed.decision_count == 1
    [decision] = await decisions.list_decisions(admin, closed.id)
    assert (decision.kind, decision.partner_id, decision.note) == (
        "replace_partner",
        flagged.partners[0].id,
        "Move its places to Book Nook",
    )


async def test_thresholds_are_set_in_words_and_bad_limits_said_by_the_field(console: User, flagged, patience, admin) -> None:
    await console.open("/partner-performance/thresholds")
    await console.should_see(marker="threshold-row", retries=patience)
    assert labels_within(console, "threshold-row")[0] == "Activation rate below 20.0 % over 90 days"
    choose(console, "threshold-metric", "days_without_redemption")
    choose(console, "threshold-limit", "ten")
    console.find(marker="save-threshold").click()
    await console.should_see("Days without a redemption are a whole number, e.g. 14.", retries=patience)
    choose(console, "threshold-limit", "14")
    console.find(marker="save-threshold").click()
    await console.should_see("More than 14 days without a redemption", retries=patience)
    assert {t.metric for t in await thresholds.list_thresholds(admin, flagged.programme_id)} == {
        "activation_rate",
        "days_without_redemption",
    }
