"""A CSV of used codes is reviewed before it is recorded: each line matched to an issued reward,
already recorded (a file sent twice, a code named twice) or unmatched, codes masked; the review
writes nothing, and recording the same file then records exactly the matched lines."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from test_codes_used import issued_code

from backend.insights import metrics, redemptions
from backend.insights.used_codes_review import ALREADY_RECORDED, MATCHED, UNMATCHED, mask, review_used_codes


async def test_the_review_matches_lines_without_recording_them(db, admin):
    programme_id, partner_id, code = await issued_code(admin)
    csv = f"code;used_at\r\n{code};2026-11-21T10:00:00\r\nNOPE-1;\r\n{code};\r\n".encode()
    review = await review_used_codes(admin, partner_id, io.BytesIO(csv))
    assert [(row.line, row.status) for row in review.rows] == [(2, MATCHED), (3, UNMATCHED), (4, ALREADY_RECORDED)]
    assert review.rows[0].masked_code == mask(code) and code not in review.rows[0].masked_code
    assert review.rows[0].used_at == datetime(2026, 11, 21, 10, tzinfo=UTC)
    day = datetime(2026, 11, 21).date()
    assert await metrics.partner_figures(programme_id, day, day) == []  # nothing recorded by the review

    outcomes = await redemptions.report_used_codes_file(admin, partner_id, io.BytesIO(csv))
    assert [o.status for o in outcomes] == ["recorded", "unknown_code", "already_recorded"]
    [figures] = await metrics.partner_figures(programme_id, day, day)
    assert figures.redemptions == 1
    again = await review_used_codes(admin, partner_id, io.BytesIO(csv))
    assert [row.status for row in again.rows] == [ALREADY_RECORDED, UNMATCHED, ALREADY_RECORDED]


def test_a_code_is_masked_but_its_last_four_characters() -> None:
    assert mask(" ABCD-1234 ") == "•••••1234"
    assert mask("XYZ") == "•••"


async def test_a_used_at_without_a_zone_is_read_on_the_given_clock(db, admin):
    """The console passes the admin's zone: 02:00 in Kolkata is 20:30 UTC the day before, and a time
    that names its zone keeps it. The review says the zone it read in; recording reads the same."""
    programme_id, partner_id, code = await issued_code(admin)
    kolkata = ZoneInfo("Asia/Kolkata")
    csv = f"code,used_at\r\n{code},2026-11-21T02:00:00\r\nNOPE-1,2026-11-21T02:00:00+00:00\r\n".encode()
    review = await review_used_codes(admin, partner_id, io.BytesIO(csv), zone=kolkata)
    assert review.zone == "Asia/Kolkata"
    assert [row.used_at for row in review.rows] == [
        datetime(2026, 11, 20, 20, 30, tzinfo=UTC),
        datetime(2026, 11, 21, 2, tzinfo=UTC),
    ]

    await redemptions.report_used_codes_file(admin, partner_id, io.BytesIO(csv), zone=kolkata)
    the_20th, the_21st = datetime(2026, 11, 20).date(), datetime(2026, 11, 21).date()
    [figures] = await metrics.partner_figures(programme_id, the_20th, the_20th)  # UTC's day of 20:30 UTC
    assert figures.redemptions == 1
    assert await metrics.partner_figures(programme_id, the_21st, the_21st) == []
