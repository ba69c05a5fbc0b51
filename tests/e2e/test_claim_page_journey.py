"""A recipient opens their reward's claim page in a real browser with JavaScript off, on a 390 px
phone and on a desktop: the reward in words, the code revealed by the button, and the pages that
say no (expired, unknown link). The api runs as `mirabelle api` would, on a fresh SQLite file."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from backend.core.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# Two rewards delivered by the sandbox: a Chai Point voucher, and the same offer issued 400 days ago
# (expired); prints their claim tokens.
SETUP = """
import asyncio, json, sys
from datetime import timedelta
sys.path[:0] = ["tests/campaigns", "tests/deliveries"]
from campaign_steps import api_key_actor, make_programme, offers_campaign, role_actor, stocked_live_offer
from delivery_steps import QUICK, delivery_row, handle, person
from backend.core import sql
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.db import start_pool
from backend.deliveries import claim_links
from backend.deliveries.services import sending
from backend.rewards.services.issuance import RewardRequest, issue_reward

async def main():
    admin, checker = role_actor("admin"), role_actor("admin", "checker@example.com")
    offer = await stocked_live_offer(admin, checker)
    programme = await make_programme()
    campaign = await offers_campaign(admin, programme.id, [offer.id])
    tokens = {}
    for name, external_id in (("fresh", "E-1"), ("expired", "E-2")):
        someone = await person(external_id, name="Asha Rao", email=f"{external_id}@example.com")
        outcome = await issue_reward(api_key_actor(), RewardRequest(campaign.id, someone.id, offer.id, 50000, idempotency_key=name))
        await handle(outcome.issuance_id)
        row = await delivery_row(outcome.issuance_id)
        await sending.send_delivery(row["id"], QUICK)
        tokens[name] = claim_links.claim_token(row["id"])
        if name == "expired":
            await sql.run(sql.Statement("UPDATE reward_issuances SET issued_at = $1 WHERE id = $2",
                                        (utcnow() - timedelta(days=400), outcome.issuance_id)))
    print(json.dumps(tokens))

asyncio.run(main())
"""


def _wait_until_serving(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the api exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the api did not answer {url} within {seconds} s")


@pytest.fixture
def claim_api(tmp_path):
    """`mirabelle api` on a migrated SQLite file holding the rewards of SETUP; yields (url, tokens,
    run), ``run(script, *args)`` running a Python script against its database."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIRABELLE_")}
    env.update(
        MIRABELLE_DATABASE_URL=f"sqlite:///{tmp_path / 'api.sqlite3'}",
        MIRABELLE_VAR_DIR=str(tmp_path / "var"),
        MIRABELLE_API_PORT=str(port),
        MIRABELLE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        MIRABELLE_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    run = {"env": env, "cwd": ROOT, "check": True, "capture_output": True, "timeout": 180}
    subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], **run)
    tokens = json.loads(subprocess.run([sys.executable, "-c", SETUP], **run, text=True).stdout.strip().splitlines()[-1])
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "api"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(f"{url}/healthz", process)
        yield url, tokens, lambda script, *args: subprocess.run([sys.executable, "-c", script, *args], **run)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_recipient_reveals_their_code_with_javascript_off_on_a_phone_and_a_desktop(claim_api, shoot):
    url, tokens, _run = claim_api
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                context = browser.new_context(
                    viewport=viewport, java_script_enabled=False, device_scale_factor=2 if size == "phone" else 1
                )
                page = context.new_page()
                blocked = []
                page.on("console", lambda message, blocked=blocked: blocked.append(message.text))
                page.goto(f"{url}/claim/{tokens['fresh']}")
                expect(page.get_by_role("heading", name="Chai Point e-voucher")).to_be_visible()
                expect(page.get_by_text("₹500.00")).to_be_visible()
                expect(page.get_by_text("How to redeem")).to_be_visible()
                # The stylesheet loaded under the CSP: the card has its accent border.
                assert page.locator(".card").evaluate("e => getComputedStyle(e).borderTopWidth") == "6px"
                shoot(page, f"claim-01-{size}-reward")
                page.get_by_role("button", name=re.compile("Show my code")).click()
                expect(page.get_by_text("Your code", exact=True)).to_be_visible()
                expect(page.get_by_text(re.compile(r"^CHA-\d{4}$"))).to_be_visible()
                shoot(page, f"claim-02-{size}-revealed")
                page.goto(f"{url}/claim/{tokens['expired']}")
                expect(page.get_by_text("This reward expired on")).to_be_visible()
                shoot(page, f"claim-03-{size}-expired")
                page.goto(f"{url}/claim/{'0' * 64}")
                expect(page.get_by_role("heading", name="Link not found")).to_be_visible()
                shoot(page, f"claim-04-{size}-unknown")
                assert not [text for text in blocked if "Content Security Policy" in text], blocked
                context.close()
        finally:
            browser.close()


# The support agent's side, as the console would do it: answer the latest ticket (and resolve it).
AGENT_ANSWERS = """
import asyncio, sys
from backend.core import sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.ids import new_id
from backend.tickets.services import conversation

AGENT = Actor(ActorKind.USER, new_id(), "Sam Support", frozenset({Permission.TICKETS_READ, Permission.TICKETS_WRITE}))

async def main(answer, then):
    row = await sql.fetchrow("SELECT id FROM tickets ORDER BY id DESC LIMIT 1")
    await conversation.reply(AGENT, row["id"], "Checking with the partner", author="note")
    await conversation.reply(AGENT, row["id"], answer)
    if then == "resolve":
        await conversation.change_status(AGENT, row["id"], "resolved")

asyncio.run(main(*sys.argv[1:]))
"""


def test_a_recipient_reports_a_bad_code_reads_the_answer_and_rates_it_with_javascript_off_on_a_phone(claim_api, shoot):
    url, tokens, run = claim_api
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(viewport=PHONE, java_script_enabled=False, device_scale_factor=2)
            page = context.new_page()
            blocked = []
            page.on("console", lambda message: blocked.append(message.text))
            page.goto(f"{url}/claim/{tokens['fresh']}")
            page.get_by_role("link", name="Report a problem").click()
            expect(page.get_by_role("heading", name="Report a problem")).to_be_visible()
            page.get_by_label("What went wrong?").select_option(label="My code doesn't work")
            page.get_by_label("Tell us more").fill("   ")  # passes the browser's "required", not the desk
            page.get_by_role("button", name="Send my report").click()
            expect(page.get_by_role("alert")).to_have_text("Write a message: tell us what went wrong.")
            expect(page.get_by_label("What went wrong?")).to_have_value("code_invalid")  # what was chosen is kept
            shoot(page, "claim-ticket-00-phone-empty-message")
            page.get_by_label("Tell us more").fill("The till says the code is unknown.")
            shoot(page, "claim-ticket-01-phone-report-form")
            page.get_by_role("button", name="Send my report").click()
            expect(page.get_by_text("Thank you: your report is in")).to_be_visible()
            expect(page.get_by_text("The till says the code is unknown.")).to_be_visible()
            shoot(page, "claim-ticket-02-phone-reported")

            run(AGENT_ANSWERS, "Sorry about that! The partner has a new code for you: CHA-0420.", "wait")
            page.reload()
            expect(page.get_by_text("We answered")).to_be_visible()
            expect(page.get_by_text("CHA-0420")).to_be_visible()
            expect(page.get_by_text("Checking with the partner")).to_have_count(0)  # an internal note
            page.get_by_label("Your answer").fill("The new code works, thank you!")
            page.get_by_role("button", name="Send").click()
            expect(page.get_by_text("Your answer is sent.")).to_be_visible()

            run(AGENT_ANSWERS, "Glad it works. Enjoy your chai!", "resolve")
            page.goto(f"{url}/claim/{tokens['fresh']}/ticket")
            expect(page.get_by_text("How did we do?")).to_be_visible()
            shoot(page, "claim-ticket-03-phone-resolved-rating")
            page.get_by_role("button", name="Excellent").click()
            expect(page.get_by_text("Thank you for rating our help.")).to_be_visible()
            expect(page.get_by_role("button", name="Excellent")).to_have_count(0)
            shoot(page, "claim-ticket-04-phone-rated")
            assert not [text for text in blocked if "Content Security Policy" in text], blocked
            context.close()
        finally:
            browser.close()
