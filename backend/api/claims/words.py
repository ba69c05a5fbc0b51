"""What a claim page says: the template context of a reward, in words (money as currency, dates
written out), and of the pages that say no (unknown link, too many tries, a forged form)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from backend.core.money import format_money
from backend.core.settings import get_settings
from backend.deliveries.services.claims import CLAIMABLE, EXPIRED, NOT_SENT, WITHDRAWN, ClaimView
from backend.rewards.services.redemption import RevealedReward

NOTICES = {
    NOT_SENT: (
        "On its way",
        "This reward hasn't been sent to you yet. Its link will work as soon as it has: look out for its message.",
    ),
    EXPIRED: ("Expired", "This reward expired on {expires_on}. It can no longer be used."),
    WITHDRAWN: ("Withdrawn", "This reward was withdrawn and can no longer be used."),
}


@lru_cache(maxsize=32)
def _locale(language: str) -> str:
    try:
        return str(Locale.parse(language.replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        return "en"


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def moment(at: datetime) -> str:
    return f"{long_date(at.date())} at {at:%H:%M} UTC"


def base_path() -> str:
    """The path the api is served under (the public URL's, e.g. "/rewards"), for links in pages."""
    return urlsplit(get_settings().public_url).path.rstrip("/")


def claim_context(
    claim: ClaimView,
    token: str,
    form_token: str,
    revealed: RevealedReward | None = None,
    report_problem_url: str | None = None,
) -> dict:
    points = claim.currency is None
    expires_on = long_date(claim.expires_on) if claim.expires_on else None
    context = {
        "base": base_path(),
        "title": claim.offer_title or f"Points from {claim.campaign_name}",
        "partner_name": claim.partner_name,
        "campaign_name": claim.campaign_name,
        "first_name": claim.recipient_name.split()[0] if claim.recipient_name.strip() else "",
        "points": points,
        "value": None if points else format_money(claim.value, claim.currency, _locale(claim.language)),
        "expires_on": expires_on,
        "claimable": claim.state == CLAIMABLE,
        "notice": None,
        "description": claim.offer_description,
        "how_to_redeem": claim.how_to_redeem,
        "reveal_action": f"{base_path()}/claim/{token}/reveal",
        "form_token": form_token,
        "activated_at": moment(claim.activated_at) if claim.activated_at else None,
        "revealed": None,
    }
    if claim.state in NOTICES:
        heading, text = NOTICES[claim.state]
        context["notice"] = {"heading": heading, "text": text.format(expires_on=expires_on)}
    if revealed is not None:
        context["revealed"] = {
            "code": revealed.code,
            "pin": revealed.pin,
            "points": f"{revealed.points:,}" if revealed.points is not None else None,
            "code_expires_on": long_date(revealed.code_expires_on) if revealed.code_expires_on else None,
        }
    if report_problem_url:  # the complaint desk's link; the section shows only with it
        context["report_problem_url"] = report_problem_url
    return context


def refusal_context(heading: str, text: str) -> dict:
    return {"base": base_path(), "heading": heading, "text": text}


UNKNOWN = ("Link not found", "This link doesn't lead to a reward. Check that you opened the whole link from your message.")
FORGED = ("Open your reward's page", "This button works only on your reward's page. Open the link from your message again.")


def too_many(retry_after: int) -> tuple[str, str]:
    minutes = max(1, round(retry_after / 60))
    wait = "a minute" if minutes == 1 else f"{minutes} minutes"
    return "Too many tries", f"Too many links that don't work were opened from your network. Try again in about {wait}."
