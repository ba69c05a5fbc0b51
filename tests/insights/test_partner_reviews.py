"""Monthly reviews: exactly one per programme and month (two concurrent starts make one), every
partner's month against the month before with the flags open then, decisions recorded while open,
a closed review refusing every change; the report (CSV and PDF) and its email in the sandbox."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
import zlib
from datetime import timedelta

import pytest
from review_steps import funnel

from backend.access import services as access
from backend.core import outbox, sql
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.deliveries.providers import smtp
from backend.insights.actions.services import catalogue_actions
from backend.insights.reviews import decisions, flags, mailing, reviews, thresholds
from backend.insights.reviews.months import month_text, previous_month
from backend.insights.reviews.report import report_csv, report_pdf
from backend.insights.reviews.thresholds import ThresholdInput
from backend.insights.reviews.views import REVIEW_STARTED
from backend.recipients import services as recipients
from jobs.insight_reviews import HANDLERS


@pytest.fixture
async def reviewed(shop, admin):
    """Last month and the month before: Chai Point converts poorly (flagged), Book Nook well."""
    first = previous_month(utcnow().date().replace(day=1))
    before = previous_month(first)
    await funnel(shop, 0, first + timedelta(days=3), views=20, activations=2, redemptions=1, spend_minor=25_000)
    await funnel(shop, 1, first + timedelta(days=4), views=10, activations=6, redemptions=3, spend_minor=75_000)
    await funnel(shop, 0, before + timedelta(days=2), views=10, activations=5, redemptions=2, spend_minor=40_000)
    await thresholds.set_threshold(admin, ThresholdInput(shop.programme_id, "activation_rate", limit_value=2000, window_days=60))
    await flags.sweep()
    return month_text(first)


async def test_one_review_per_month_even_when_two_start_it_at_once(shop, admin, reviewed):
    started = await asyncio.gather(*(reviews.start_review(admin, shop.programme_id, reviewed) for _ in range(3)))
    assert sum(start.created for start in started) == 1
    assert len({start.review.id for start in started}) == 1
    assert [r.month for r in await reviews.list_reviews(admin, shop.programme_id)] == [reviewed]
    again = await reviews.start_review(SYSTEM, shop.programme_id)  # the cron's default month is the same
    assert (again.created, again.review.id) == (False, started[0].review.id)
    rows = await sql.fetch("SELECT id FROM outbox_events WHERE topic = $1", REVIEW_STARTED)
    assert len(rows) == 1


async def test_the_review_holds_each_partner_s_month_against_the_one_before_and_its_flags(shop, admin, reviewed):
    review = (await reviews.start_review(admin, shop.programme_id, reviewed)).review
    assert (review.status, review.partner_count, review.flagged_count, review.currency) == ("open", 2, 1, "INR")
    chai, books = await reviews.review_lines(admin, review.id)  # flagged first
    assert (chai.partner_name, chai.flagged, books.flagged) == ("Chai Point", True, False)
    assert (chai.current.views, chai.current.activations, chai.current.spend_minor) == (20, 2, 25_000)
    assert (chai.previous.views, chai.previous.activations, chai.previous.spend_minor) == (10, 5, 40_000)
    assert (chai.current.activation_bp, chai.previous.activation_bp, chai.current.spend_share_bp) == (1000, 5000, 2500)
    assert chai.flags[0]["metric"] == "activation_rate" and chai.flags[0]["limit_value"] == 2000
    assert (books.current.activation_bp, books.previous.views) == (6000, 0)


async def test_a_closed_review_refuses_every_change(shop, admin, reviewed):
    review = (await reviews.start_review(admin, shop.programme_id, reviewed)).review
    chai = shop.partners[0].id
    with pytest.raises(DomainError) as refused:
        await decisions.record_decision(admin, review.id, "fire", note="bad\x00")
    assert {e.code for e in refused.value.errors} == {"INVALID_KIND", "INVALID_CHARACTERS"}
    with pytest.raises(DomainError) as refused:
        await decisions.record_decision(admin, review.id, "watch", partner_id=review.id)
    assert refused.value.code == "PARTNER_NOT_IN_REVIEW"
    decision = await decisions.record_decision(admin, review.id, "watch", note="one more month", partner_id=chai)
    closed = await reviews.close_review(admin, review.id, "done")
    assert (closed.status, closed.closed_by, closed.decision_count) == ("closed", "admin@example.com", 1)

    with pytest.raises(DomainError) as refused:
        await decisions.record_decision(admin, review.id, "keep", partner_id=chai)
    assert refused.value.code == "REVIEW_CLOSED" and "can no longer change" in str(refused.value)
    with pytest.raises(DomainError) as refused:
        await reviews.close_review(admin, review.id)
    assert refused.value.code == "REVIEW_CLOSED"
    assert [d.id for d in await decisions.list_decisions(admin, review.id)] == [decision.id]
    assert (await reviews.get_review(admin, review.id)).closing_note == "done"


async def test_a_decision_and_a_close_at_once_never_leave_a_decision_on_a_closed_review(shop, admin, reviewed):
    review = (await reviews.start_review(admin, shop.programme_id, reviewed)).review

    async def decide():
        try:
            return await decisions.record_decision(admin, review.id, "keep")
        except DomainError as error:
            return error.code

    outcomes = await asyncio.gather(*(decide() for _ in range(5)), reviews.close_review(admin, review.id))
    recorded = [o for o in outcomes[:-1] if not isinstance(o, str)]
    assert all(o == "REVIEW_CLOSED" for o in outcomes[:-1] if isinstance(o, str))
    closed = await reviews.get_review(admin, review.id)
    assert closed.decision_count == len(recorded) == len(await decisions.list_decisions(admin, review.id))
    assert all(d.decided_at <= closed.closed_at for d in await decisions.list_decisions(admin, review.id))


def pdf_text(pdf: bytes) -> str:
    """The text drawn in the PDF's content streams (fpdf2 compresses them with zlib)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            texts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            texts.append(stream.decode("latin-1"))
    return "".join(texts)


async def test_the_report_as_csv_and_pdf(shop, admin, reviewed):
    review = (await reviews.start_review(admin, shop.programme_id, reviewed)).review
    await decisions.record_decision(admin, review.id, "replace_partner", note="=HYPERLINK", partner_id=shop.partners[0].id)
    report = await mailing.review_report(admin, review.id)
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert [row["partner"] for row in rows] == ["Chai Point", "Book Nook"]
    chai = rows[0]
    assert (chai["flagged"], chai["views"], chai["previous_views"], chai["spend"], chai["previous_spend"]) == (
        "true",
        "20",
        "10",
        "250.00",
        "400.00",
    )
    assert (chai["activation_rate_pct"], chai["previous_activation_rate_pct"], chai["spend_share_pct"]) == (
        "10.00",
        "50.00",
        "25.00",
    )
    assert "Activation rate below 20.0 %" in chai["flags"]

    pdf = report_pdf(report)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Chai Point" in text and "Book Nook" in text and "INR 250.00" in text
    assert "Flagged partners" in text and "replace_partner" in text


async def test_the_report_is_emailed_to_the_admins_once_through_the_sandbox(shop, admin, reviewed):
    await access.create_user(SYSTEM, "pm@example.com", "Pat Manager", "correct horse battery", ["programme_manager"])
    await access.create_user(SYSTEM, "viewer@example.com", "Vic Viewer", "correct horse battery", ["viewer"])
    review = (await reviews.start_review(admin, shop.programme_id, reviewed)).review
    [event] = await sql.fetch("SELECT id FROM outbox_events WHERE topic = $1", REVIEW_STARTED)
    assert await outbox.process(event["id"], HANDLERS) == "done"
    assert await mailing.mail_review_report(review.id) == 0  # a second run sends nothing twice
    inbox = await sql.fetch("SELECT recipient, subject, text FROM sandbox_messages ORDER BY recipient")
    assert [m["recipient"] for m in inbox] == ["admin@example.com", "pm@example.com"]
    assert inbox[0]["subject"] == f"Partner performance review {reviewed}: Stars"
    assert "Chai Point: Activation rate below 20.0 %" in inbox[0]["text"]
    assert f"partner-review-{reviewed}.pdf" in inbox[0]["text"]
    assert [(m.email, m.status, m.provider) for m in await mailing.list_mailings(admin, review.id)] == [
        ("admin@example.com", "sent", "sandbox"),
        ("pm@example.com", "sent", "sandbox"),
    ]


async def test_corrective_actions_taken_from_the_review_are_listed_on_it(shop, admin, reviewed):
    review = (await reviews.start_review(admin, shop.programme_id, reviewed)).review
    chai = shop.partners[0]
    offer = shop.offers[chai.id][0]
    action = await catalogue_actions.refresh(admin, offer.id, title="Chai Point: two for one", review_id=review.id)
    await catalogue_actions.refresh(admin, offer.id, title="Chai Point: unrelated")  # not from the review
    [listed] = await reviews.review_actions(admin, review.id)
    assert (listed.id, listed.partner_id, listed.kind) == (action.id, chai.id, "refresh_listing")
    assert (await reviews.require_open(review.id)).id == review.id
    await reviews.close_review(admin, review.id)
    with pytest.raises(DomainError) as refused:
        await reviews.require_open(review.id)
    assert refused.value.code == "REVIEW_CLOSED"


async def test_the_database_itself_keeps_a_closed_review_as_it_is(shop, admin, reviewed):
    review = (await reviews.start_review(admin, shop.programme_id, reviewed)).review
    await reviews.close_review(admin, review.id)
    writes = [
        ("UPDATE partner_reviews SET closing_note = 'rewritten' WHERE id = $1", review.id),
        ("UPDATE partner_review_lines SET views = 0 WHERE review = $1", review.id),
        ("DELETE FROM partner_review_lines WHERE review = $1", review.id),
        (
            """INSERT INTO partner_review_decisions (id, review, kind, note, decided_by_label, decided_at)
            VALUES ($2, $1, 'keep', '', 'someone', CURRENT_TIMESTAMP)""",
            review.id,
            uuid.uuid4(),
        ),
    ]
    for statement, *args in writes:
        with pytest.raises(Exception, match="closed partner review cannot change|append-only"):
            async with write_transaction():
                await sql.fetch(statement, *args)
    assert (await reviews.get_review(admin, review.id)).closing_note == ""
    assert len(await reviews.review_lines(admin, review.id)) == 2


async def test_over_smtp_the_report_travels_as_pdf_and_csv_attachments(shop, admin, reviewed):
    review = (await reviews.start_review(admin, shop.programme_id, reviewed)).review
    report = await mailing.review_report(admin, review.id)
    message = mailing.report_message(report, uuid.uuid4(), "admin@example.com")
    email = smtp.email_message(message, smtp.SmtpSettings(host="mail.example.com", port=587, from_address="mb@example.com"))
    files = {part.get_filename(): part for part in email.iter_attachments()}
    assert set(files) == {f"partner-review-{reviewed}.pdf", f"partner-review-{reviewed}.csv"}
    assert files[f"partner-review-{reviewed}.pdf"].get_content_type() == "application/pdf"
    assert files[f"partner-review-{reviewed}.pdf"].get_content().startswith(b"%PDF")
    assert "Chai Point" in files[f"partner-review-{reviewed}.csv"].get_content()
    assert email.get_body(("plain",)).get_content().startswith(f"The partner performance review of {reviewed} for Stars")


async def test_two_workers_running_the_monthly_cron_make_each_programme_s_review_once(shop, admin, reviewed):
    other = await recipients.create_programme(SYSTEM, "Comets", "EUR", "0.01")
    made = await asyncio.gather(reviews.start_monthly_reviews(), reviews.start_monthly_reviews())
    assert sum(made) == 2
    assert [r.month for r in await reviews.list_reviews(admin, shop.programme_id)] == [reviewed]
    assert [(r.month, r.partner_count) for r in await reviews.list_reviews(admin, other.id)] == [(reviewed, 0)]
    assert await reviews.start_monthly_reviews() == 0
