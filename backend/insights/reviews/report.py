"""A review's report: a CSV (every figure, one row per partner) and a PDF (the same, for reading),
both made from the review's own snapshot — a review's report never changes once it is closed.

The PDF uses the PDF core font (Helvetica: no font file to ship), which holds Latin-1: money is
written with its ISO code ("INR 1,234.50") and any other character becomes "?"."""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF

from backend.core.csv_export import csv_text
from backend.core.money import format_amount
from backend.insights.reviews.views import DecisionView, Figures, ReviewLineView, ReviewView, format_rate

_CSV_HEADER = [
    "partner_id",
    "partner",
    "category",
    "flagged",
    "flags",
    "views",
    "previous_views",
    "activations",
    "previous_activations",
    "redemptions",
    "previous_redemptions",
    "spend",
    "previous_spend",
    "currency",
    "activation_rate_pct",
    "previous_activation_rate_pct",
    "redemption_rate_pct",
    "previous_redemption_rate_pct",
    "spend_share_pct",
    "previous_spend_share_pct",
    "last_redemption_on",
]


@dataclass(frozen=True)
class ReviewReport:
    review: ReviewView
    programme_name: str
    lines: list[ReviewLineView]
    decisions: list[DecisionView]

    @property
    def file_stem(self) -> str:
        return f"partner-review-{self.review.month}"


def _pct(basis_points: int | None) -> str:
    return "" if basis_points is None else f"{basis_points / 100:.2f}"


def report_csv(report: ReviewReport) -> str:
    currency = report.review.currency
    rows = (
        [
            str(line.partner_id),
            line.partner_name,
            line.category,
            line.flagged,
            "; ".join(flag["words"] for flag in line.flags),
            line.current.views,
            line.previous.views,
            line.current.activations,
            line.previous.activations,
            line.current.redemptions,
            line.previous.redemptions,
            format_amount(line.current.spend_minor, currency),
            format_amount(line.previous.spend_minor, currency),
            currency,
            _pct(line.current.activation_bp),
            _pct(line.previous.activation_bp),
            _pct(line.current.redemption_bp),
            _pct(line.previous.redemption_bp),
            _pct(line.current.spend_share_bp),
            _pct(line.previous.spend_share_bp),
            line.current.last_redemption_on,
        ]
        for line in report.lines
    )
    return csv_text(_CSV_HEADER, rows)


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _money(minor: int, currency: str) -> str:
    whole, _, fraction = format_amount(minor, currency).partition(".")
    return f"{currency} {int(whole):,}" + (f".{fraction}" if fraction else "")


def _both(now: str, then: str) -> str:
    return f"{now} ({then})"


def _rate(figures: Figures, name: str) -> str:
    return format_rate(getattr(figures, name))


_COLUMNS = (  # title, width in mm (landscape A4 leaves 277)
    ("Partner", 52),
    ("Category", 28),
    ("Views", 30),
    ("Activation rate", 34),
    ("Redemption rate", 34),
    ("Spend", 56),
    ("Spend share", 30),
)
_LAST_COLUMN = "Last redemption"  # takes what the others leave of the page's 277 mm


def report_pdf(report: ReviewReport) -> bytes:
    review, currency = report.review, report.review.currency
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(_latin(f"Partner performance review {review.month}"))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(
        0, 9, _latin(f"Partner performance review - {report.programme_name} - {review.month}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 9)
    status = f"closed {review.closed_at:%Y-%m-%d} by {review.closed_by}" if review.closed_at else "open"
    pdf.cell(
        0,
        6,
        _latin(
            f"{review.partner_count} partners, {review.flagged_count} flagged. Started {review.started_at:%Y-%m-%d} "
            f"by {review.started_by}; {status}. Figures for {review.month} (previous month in brackets)."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    columns = [*_COLUMNS, (_LAST_COLUMN, 277 - sum(width for _, width in _COLUMNS))]
    widths = [width for _, width in columns]
    pdf.set_font("Helvetica", "B", 8)
    pdf.set_fill_color(230, 230, 230)
    for title, width in columns:
        pdf.cell(width, 6, title, border=1, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for line in report.lines:
        now, then = line.current, line.previous
        cells = [
            line.partner_name[:34] + (" (!)" if line.flagged else ""),
            line.category[:18],
            _both(f"{now.views:,}", f"{then.views:,}"),
            _both(_rate(now, "activation_bp"), _rate(then, "activation_bp")),
            _both(_rate(now, "redemption_bp"), _rate(then, "redemption_bp")),
            _both(_money(now.spend_minor, currency), _money(then.spend_minor, currency)),
            _both(_rate(now, "spend_share_bp"), _rate(then, "spend_share_bp")),
            now.last_redemption_on.isoformat() if now.last_redemption_on else "-",
        ]
        if line.flagged:
            pdf.set_fill_color(253, 226, 226)
        for text, width in zip(cells, widths, strict=True):
            pdf.cell(width, 6, _latin(text.replace("—", "-")), border=1, fill=line.flagged)
        pdf.ln()
    flagged = [line for line in report.lines if line.flagged]
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Flagged partners", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    if not flagged:
        pdf.cell(0, 6, "No partner was past a threshold when the review started.", new_x="LMARGIN", new_y="NEXT")
    for line in flagged:
        for flag in line.flags:
            text = f"{line.partner_name}: {flag['words']} (since {flag['raised_at'][:10]})"
            pdf.multi_cell(0, 5, _latin(text), new_x="LMARGIN", new_y="NEXT")
    if report.decisions:
        names = {line.partner_id: line.partner_name for line in report.lines}
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, "Decisions", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for decision in report.decisions:
            about = names.get(decision.partner_id, "the programme") if decision.partner_id else "the programme"
            text = f"{decision.decided_at:%Y-%m-%d} {decision.decided_by}: {decision.kind} for {about}. {decision.note}"
            pdf.multi_cell(0, 5, _latin(text.strip()), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
