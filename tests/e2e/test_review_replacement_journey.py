"""From the monthly review to a replaced partner, in a real browser: two live partners with offers
in an active campaign, last month's events take Slow Coffee under the programme's activation-rate
threshold; admin A starts the review, sees the flagged row with its figure and the threshold, and
requests Slow Coffee's replacement from that row (recorded on the review); admin B approves it;
the catalogue shows the old offer retired and the ranking and the campaign list Fast Tea instead;
the dashboard shows both partners' funnels and Slow Coffee's offers.
Screenshots under tests/e2e/screenshots/review-replace-*.png."""

from __future__ import annotations

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates
CHECKER_EMAIL, CHECKER_PASSWORD = "checker@example.com", "another long password"

# The corrective-action steps' scene (two live partners, an active campaign listing Slow Coffee's
# offer), then last month's funnels of both partners and a threshold Slow Coffee is under.
SETUP = """
import asyncio, sys
from datetime import UTC, datetime, time, timedelta
sys.path[:0] = ["tests/insight_actions", "tests/campaigns", "tests/catalog", "tests/partners"]
from action_steps import scene
from campaign_steps import role_actor
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.insights import events
from backend.insights.events import PerformanceEvent
from backend.insights.reviews import flags, thresholds
from backend.insights.reviews.months import previous_month
from backend.insights.reviews.thresholds import ThresholdInput

async def main():
    s = await scene(role_actor("admin", "Ada Admin"), role_actor("admin", "Cleo Checker"))
    at = datetime.combine(previous_month(utcnow().date().replace(day=1)) + timedelta(days=4), time(12), tzinfo=UTC)
    facts = []
    for offer, counts in ((s.old_offer, (50, 5, 1)), (s.new_offer, (40, 20, 12))):
        for kind, count in zip(("viewed", "activated", "redeemed"), counts):
            facts += [PerformanceEvent(kind=kind, occurred_at=at, programme_id=s.programme.id, source="journey",
                source_ref=f"{offer.id}-{kind}-{n}", offer_id=offer.id, recipient_id=s.people[n % 5]) for n in range(count)]
    await events.record_events(facts)
    await thresholds.set_threshold(SYSTEM, ThresholdInput(s.programme.id, "activation_rate", limit_value=2000, window_days=60))
    await flags.sweep()

asyncio.run(main())
"""


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


def quiet(page) -> None:
    page.evaluate("document.querySelectorAll('.q-notification').forEach(note => note.remove())")


def test_a_flagged_partner_is_replaced_from_its_review(console_server, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    console_server.python(SETUP)
    console_server.mirabelle(
        "users", "create", "--email", CHECKER_EMAIL, "--name", "Cleo Checker", "--role", "admin", "--password", CHECKER_PASSWORD
    )
    page, url = browser_page, console_server.url
    sign_in(page, f"{url}/partner-performance", EMAIL, PASSWORD)
    expect(page.get_by_text("Activation rate below 20.0 % over 60 days: 10.0 %")).to_be_visible()

    # 1. Admin A starts last month's review: Slow Coffee's row is flagged with its figure and the threshold.
    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_text("Partner performance review: the month against the month before.")).to_be_visible()
    review_url = page.url
    flagged = page.locator("tr.bg-red-1")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text("Slow Coffee")
    expect(flagged).to_contain_text("10.0 %")
    expect(flagged).to_contain_text("Activation rate below 20.0 % over 60 days")
    quiet(page)
    shoot(page, "review-replace-1-flagged")

    # 2. From the flagged row: Corrective actions → Replace partner, with Fast Tea.
    flagged.get_by_role("button", name="Corrective actions").click()
    page.get_by_text("Replace partner", exact=True).click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text("Replace Slow Coffee")).to_be_visible()
    dialog.get_by_label("Replacement partner (live)").click()
    page.get_by_role("option", name="Fast Tea").click()
    dialog.get_by_label("Why").fill("Activation 10 % against a 20 % threshold")
    shoot(page, "review-replace-2-dialog", full_page=False)
    dialog.get_by_role("button", name="Request replacement").click()
    # The review page reloads itself with the request recorded on the review.
    expect(page.get_by_text("Corrective actions (1)")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Partner replacement · pending · Slow Coffee")).to_be_visible()
    quiet(page)
    shoot(page, "review-replace-3-requested")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out")).to_be_visible()

    # 3. Admin B approves it on Slow Coffee's page.
    sign_in(page, url, CHECKER_EMAIL, CHECKER_PASSWORD)
    expect(page.get_by_text("1 partner replacement awaits your approval")).to_be_visible()
    page.goto(f"{url}/partners")
    page.get_by_text("Slow Coffee", exact=True).click()
    page.wait_for_url(f"{url}/partners/*")
    page.get_by_role("button", name="Approve replacement").click()
    expect(page.get_by_text("Approved: Fast Tea replaces Slow Coffee.")).to_be_visible()

    # 4. The review lists the approved replacement; the catalogue, the ranking and the campaign changed.
    page.goto(review_url)
    expect(page.get_by_text("Corrective actions (1)")).to_be_visible()
    expect(page.get_by_text("Replace Slow Coffee with Fast Tea", exact=False)).to_be_visible()
    quiet(page)
    shoot(page, "review-replace-4-review-after")
    page.goto(f"{url}/offers")
    old_row = page.locator("tr").filter(has_text="Slow Coffee e-voucher")
    expect(old_row.first).to_contain_text("Retired")
    quiet(page)
    shoot(page, "review-replace-5-catalogue")
    page.goto(f"{url}/ranking")
    ranked = page.locator(".mb-rank-card")
    expect(ranked.first).to_contain_text("Fast Tea e-voucher")  # in the place Slow Coffee's offer held
    expect(ranked.filter(has_text="Slow Coffee e-voucher")).to_contain_text("Retired")
    shoot(page, "review-replace-6-ranking")
    page.goto(f"{url}/campaigns")
    page.get_by_text("Festive vouchers", exact=True).click()
    expect(page.get_by_text("Fast Tea e-voucher", exact=False).first).to_be_visible()
    expect(page.get_by_text("Slow Coffee e-voucher", exact=False)).to_have_count(0)
    shoot(page, "review-replace-7-campaign")

    # 5. The dashboard over the same period: the funnel per partner, drilled down to Slow Coffee's offers.
    page.goto(f"{url}/partner-performance/dashboard")
    expect(page.get_by_text("90 views → 25 activations (27.8 %) → 13 redemptions (52.0 %)", exact=False)).to_be_visible()
    page.get_by_role("button", name="Slow Coffee").click()
    expect(page.get_by_text("Slow Coffee: its offers")).to_be_visible()
    quiet(page)
    shoot(page, "review-replace-8-dashboard")
