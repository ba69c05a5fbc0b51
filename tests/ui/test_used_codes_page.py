"""Used codes in the console: the partner's CSV is reviewed first (matched, unmatched, codes
masked, nothing recorded), then recorded on confirmation — one redemption for the matched code."""

from __future__ import annotations

import os
import sys
from datetime import datetime

from delivery_console_steps import choose
from nicegui import ui
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "insights"))  # the codes-used steps

from test_codes_used import issued_code

from backend.core.clock import utcnow
from backend.insights import metrics


async def test_a_file_is_reviewed_then_recorded(console: User, admin, patience) -> None:
    programme_id, partner_id, code = await issued_code(admin)
    await console.open("/partner-performance/used-codes")
    await console.should_see(marker="used-codes-form", retries=patience)
    choose(console, "used-codes-partner", str(partner_id))
    content = f"code\r\n{code}\r\nNOT-OURS\r\n".encode()
    upload = next(iter(console.find(ui.upload).elements))
    await upload.handle_uploads([ui.upload.SmallFileUpload("used.csv", "text/csv", content)])
    await console.should_see("1 matched · 0 already recorded · 1 unmatched", retries=patience)
    await console.should_see(marker="used-code-unmatched")
    await console.should_not_see(code)
    today = utcnow().date()
    assert await metrics.partner_figures(programme_id, today, today) == []  # the review records nothing

    console.find(marker="used-codes-record").click()
    await console.should_see(marker="used-codes-recorded", retries=patience)
    [figures] = await metrics.partner_figures(programme_id, today, today)
    assert (figures.partner_id, figures.redemptions) == (partner_id, 1)


async def test_times_without_a_zone_are_read_on_the_admins_clock(admin, user: User, sign_in, patience) -> None:
    """The browser's zone (Kolkata, +05:30) reads a used_at without one; the review and the
    confirmation say so, and the redemption lands on UTC's day of that moment."""
    programme_id, partner_id, code = await issued_code(admin)
    user.browser_time_zone = "Asia/Kolkata"
    await sign_in(path="/partner-performance/used-codes")
    await user.should_see(marker="used-codes-form", retries=patience)
    await user.should_see("a time without a zone is read in Asia/Kolkata")
    choose(user, "used-codes-partner", str(partner_id))
    upload = next(iter(user.find(ui.upload).elements))
    content = f"code,used_at\r\n{code},2026-11-21T02:00:00\r\n".encode()
    await upload.handle_uploads([ui.upload.SmallFileUpload("used.csv", "text/csv", content)])
    await user.should_see("1 matched · 0 already recorded · 0 unmatched", retries=patience)
    await user.should_see("Times without a zone are read in Asia/Kolkata, your browser's time zone.")
    await user.should_see("2026-11-21 02:00 IST")  # the time as the file says it, on the admin's clock

    user.find(marker="used-codes-record").click()
    await user.should_see("1 redemptions recorded (times without a zone read in Asia/Kolkata).", retries=patience)
    the_20th = datetime(2026, 11, 20).date()  # 02:00 in Kolkata is 20:30 UTC the day before
    [figures] = await metrics.partner_figures(programme_id, the_20th, the_20th)
    assert figures.redemptions == 1
