"""Partner performance in a real browser at a desk (1440 px): the partner flagged now, a month's
review started from the console (flagged row highlighted with its figure and the threshold, the
rates chart), a listing refreshed from the flagged row (a corrective action recorded on the review),
a decision recorded, the review closed; the worker emails the report, which the
sandbox inbox shows. Screenshots under tests/e2e/screenshots/partner-review-*.png."""

from __future__ import annotations

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates

SETUP = """
import asyncio, sys
from datetime import timedelta
sys.path[:0] = ["tests/insights", "tests/catalog", "tests/partners"]
from insight_steps import make_shop
from review_steps import funnel
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.insights.reviews import flags, thresholds
from backend.insights.reviews.months import previous_month
from backend.insights.reviews.thresholds import ThresholdInput

async def main():
    shop = await make_shop(SYSTEM)
    first = previous_month(utcnow().date().replace(day=1))
    for day, (views, activations, redemptions, spend) in enumerate([(40, 4, 2, 30_000), (30, 3, 1, 20_000)]):
        await funnel(shop, 0, first + timedelta(days=day + 3), views=views, activations=activations,
            redemptions=redemptions, spend_minor=spend)
    await funnel(shop, 1, first + timedelta(days=5), views=25, activations=15, redemptions=9, spend_minor=120_000)
    await funnel(shop, 0, previous_month(first) + timedelta(days=4), views=30, activations=12, redemptions=6, spend_minor=45_000)
    await thresholds.set_threshold(SYSTEM, ThresholdInput(shop.programme_id, "activation_rate", limit_value=2000, window_days=60))
    await flags.sweep()

asyncio.run(main())
"""


def test_a_monthly_review_with_a_flagged_partner(console_server, worker, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    console_server.python(SETUP)
    page, url = browser_page, console_server.url
    page.goto(f"{url}/partner-performance")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Flagged now (1)")).to_be_visible()
    expect(page.get_by_text("Activation rate below 20.0 % over 60 days: 10.0 %")).to_be_visible()
    shoot(page, "partner-review-1-flagged-now")

    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_text("Partner performance review: the month against the month before.")).to_be_visible()
    flagged_row = page.locator("tr.bg-red-1")
    expect(flagged_row).to_have_count(1)
    expect(flagged_row).to_contain_text("Chai Point")
    expect(flagged_row).to_contain_text("10.0 % (was 40.0 %)")
    expect(flagged_row).to_contain_text("Activation rate below 20.0 % over 60 days")
    expect(page.locator("canvas").first).to_be_visible()
    shoot(page, "partner-review-2-review")

    # A corrective action from the flagged row: a fresher listing, recorded on the review.
    flagged_row.get_by_role("button", name="Corrective actions").click()
    page.get_by_text("Refresh a listing").click()
    page.get_by_label("Title").fill("Chai Point: two cups for one")
    page.get_by_role("button", name="Refresh listing").click()
    expect(page.get_by_text("Corrective actions (1)")).to_be_visible()
    expect(page.get_by_text("Refreshed 'Chai Point: two cups for one': title")).to_be_visible()

    page.get_by_label("Note").fill("Replace with a better coffee partner next month")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Replace with a better coffee partner next month")).to_be_visible()
    page.get_by_role("button", name="Close review").click()
    page.get_by_role("dialog").get_by_role("button", name="Close review").click()
    expect(page.get_by_text("Closed", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Record")).to_have_count(0)
    shoot(page, "partner-review-3-closed")

    page.goto(f"{url}/sandbox-inbox")
    expect(page.get_by_text("Partner performance review").first).to_be_visible(timeout=30_000)
    shoot(page, "partner-review-4-report-email")
