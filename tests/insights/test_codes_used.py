"""A partner reports its codes used (a call, or a CSV): each is a redemption and its spend, once per
reward whichever way and however often it is reported; a code it does not hold for an issued reward
is unknown and changes nothing; a bad file line is reported with its number."""

from __future__ import annotations

import io
import os
import sys
from datetime import UTC, datetime

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps

from campaign_steps import api_key_actor, make_programme, offers_campaign, role_actor, stocked_live_offer
from delivery_steps import person

from backend.catalog.services import allocation
from backend.core.authz import SYSTEM
from backend.core.errors import DomainError, PermissionDenied
from backend.insights import metrics, redemptions
from backend.insights.redemptions import UsedCode
from backend.rewards.services.issuance import RewardRequest, issue_reward


async def issued_code(admin):
    """Asha's ₹500.00 Chai Point voucher, issued: (programme id, partner id, its code in clear)."""
    offer = await stocked_live_offer(admin, role_actor("admin", "checker@example.com"))
    programme = await make_programme()
    campaign = await offers_campaign(admin, programme.id, [offer.id])
    asha = await person("E-1", name="Asha Rao", email="asha@example.com", country="IN", hr_attributes={"grade": 5})
    outcome = await issue_reward(api_key_actor(), RewardRequest(campaign.id, asha.id, offer.id, 50000, idempotency_key="o-1"))
    revealed = await allocation.reveal_code(SYSTEM, outcome.issuance_id)
    return programme.id, offer.partner_id, revealed.code


async def test_a_code_reported_used_by_call_and_by_file_is_one_redemption_and_its_spend(db, admin):
    programme_id, partner_id, code = await issued_code(admin)
    used_on = datetime(2026, 11, 20, 15, tzinfo=UTC)
    first = await redemptions.report_codes_used(admin, partner_id, [UsedCode(code, used_on), UsedCode("NOT-OURS")])
    assert [(o.line, o.status) for o in first] == [(1, "recorded"), (2, "unknown_code")]
    again = await redemptions.report_codes_used(admin, partner_id, [UsedCode(code)])
    assert again[0].status == "already_recorded"
    csv = f"code,used_at\r\n{code},2026-11-21T10:00:00\r\nNOPE-1,\r\n".encode()
    from_file = await redemptions.report_used_codes_file(admin, partner_id, io.BytesIO(csv))
    assert [(o.line, o.status) for o in from_file] == [(2, "already_recorded"), (3, "unknown_code")]

    [figures] = await metrics.partner_figures(programme_id, used_on.date(), used_on.date())
    assert (figures.partner_id, figures.redemptions, figures.spend_minor, figures.last_redemption_on) == (
        partner_id, 1, 50000, used_on.date(),
    )  # fmt: skip
    [graded] = await metrics.partner_figures(programme_id, used_on.date(), used_on.date(), metrics.Segment(grade="5"))
    assert graded.redemptions == 1


async def test_bad_reports_are_refused_whole(db, admin):
    _, partner_id, code = await issued_code(admin)
    with pytest.raises(DomainError) as bad_file:
        await redemptions.report_used_codes_file(
            admin, partner_id, io.BytesIO(b"code,used_at\n" + code.encode() + b",yesterday\n")
        )
    assert "line 2" in str(bad_file.value)
    with pytest.raises(DomainError) as future:
        await redemptions.report_codes_used(admin, partner_id, [UsedCode(code, datetime(2999, 1, 1, tzinfo=UTC))])
    assert "future" in str(future.value)
    with pytest.raises(PermissionDenied):
        await redemptions.report_codes_used(api_key_actor(), partner_id, [UsedCode(code)])
    assert (await redemptions.report_codes_used(admin, partner_id, [UsedCode(code)]))[0].status == "recorded"


async def test_the_command_line_takes_a_file_of_used_codes(db, admin, tmp_path):
    from test_insights_cli import mirabelle

    programme_id, partner_id, code = await issued_code(admin)
    path = tmp_path / "used.csv"
    path.write_text(f"code;used_at\n{code};2026-11-20T15:00:00+00:00\nNOPE;\n")
    done = mirabelle(tmp_path, db.url, "insights", "used-codes", "--partner", str(partner_id), str(path))
    assert done.returncode == 0, done.stderr + done.stdout
    said = done.stdout + done.stderr
    assert "1 redemptions recorded" in said and "line 3: unknown code" in said
    [figures] = await metrics.partner_figures(programme_id, datetime(2026, 11, 20).date(), datetime(2026, 11, 20).date())
    assert figures.redemptions == 1


async def test_the_command_line_reads_times_without_a_zone_in_the_zone_it_is_given(db, admin, tmp_path):
    from test_insights_cli import mirabelle

    programme_id, partner_id, code = await issued_code(admin)
    path = tmp_path / "used.csv"
    path.write_text(f"code,used_at\n{code},2026-11-21T02:00:00\n")
    args = ("insights", "used-codes", "--partner", str(partner_id), "--time-zone", "Asia/Kolkata", str(path))
    done = mirabelle(tmp_path, db.url, *args)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "times without a zone read in Asia/Kolkata" in done.stdout + done.stderr
    the_20th = datetime(2026, 11, 20).date()  # 02:00 in Kolkata is 20:30 UTC the day before
    [figures] = await metrics.partner_figures(programme_id, the_20th, the_20th)
    assert figures.redemptions == 1
    refused = mirabelle(
        tmp_path, db.url, "insights", "used-codes", "--partner", str(partner_id), "--time-zone", "Mars/Olympus", str(path)
    )
    assert refused.returncode != 0 and "not an IANA time zone" in refused.stdout + refused.stderr
