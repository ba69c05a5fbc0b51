"""Deliveries in a real browser: an admin approves a bulk upload of voucher rewards; the worker issues
them and sends each through the sandbox (the default provider). Two arrive; one goes to a fictional
number (a sandbox magic contact) and fails for good. The upload's page says so, its link opens the
failed delivery, the admin fixes the phone in the console and resends; the worker delivers it, and
the reward's timeline shows both attempts. The recipient then opens the claim link from the message
(served by the api process) and reveals the code. A screenshot per step: tests/e2e/screenshots/delivery-*.png."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from backend.core.redis_server import EmbeddedRedis, free_port

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates
ROOT = Path(__file__).resolve().parents[2]
FICTIONAL, REAL = "+12025550142", "+14155552671"  # NANP 555-0100..0199 fails for good in the sandbox

SETUP = """
import asyncio, io, json, sys
sys.path[:0] = ["tests/campaigns", "tests/catalog"]
from campaign_steps import offers_campaign, role_actor, stocked_live_offer
from backend.core.authz import SYSTEM
from backend.recipients import services
from backend.rewards.uploads.services.staging import stage_upload

async def main():
    maker, checker = role_actor("admin", "maker@example.com"), role_actor("admin", "checker@example.com")
    offer = await stocked_live_offer(maker, checker, codes=5)
    programme = await services.create_programme(SYSTEM, "Sales Stars", "INR", "0.25")
    campaign = await offers_campaign(maker, programme.id, [offer.id], name="Diwali vouchers")
    rows = [
        ("EMP-1", "Asha Rao", "asha@example.com", "", "", "email"),
        ("EMP-2", "Bilal Khan", "bilal@example.com", "", "", "email"),
        ("EMP-3", "Chen Wu", "", "%(fictional)s", "US", "sms"),
    ]
    text = "external_id,full_name,email,phone,country,offer,denomination,channel\\r\\n" + "".join(
        f"{e},{n},{m},{p},{c},{offer.id},50000,{ch}\\r\\n" for e, n, m, p, c, ch in rows
    )
    upload = await stage_upload(maker, campaign.id, io.BytesIO(text.encode()), "diwali.csv")
    print(json.dumps({"upload": str(upload.id)}), file=open(sys.argv[1], "w"))

asyncio.run(main())
""" % {"fictional": FICTIONAL}

INBOX = """
import asyncio, json, sys
from backend.core.authz import SYSTEM
from backend.deliveries.services import reading

async def main():
    messages = await reading.sandbox_inbox(SYSTEM)
    print(json.dumps([{"to": m.recipient, "channel": m.channel, "text": m.text} for m in messages]), file=open(sys.argv[1], "w"))

asyncio.run(main())
"""


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def backend_processes(console_server, tmp_path):
    """`mirabelle worker` (issues the upload, sends the deliveries) and `mirabelle api` (the claim
    page) on the console's database, with an embedded Redis; claim links point at that api."""
    api_port = free_port()
    with EmbeddedRedis(tmp_path / "redis") as redis:
        env = {
            **console_server.env,
            "MIRABELLE_REDIS_URL": redis.url,
            "MIRABELLE_OUTBOX_RELAY_SECONDS": "1",
            "MIRABELLE_API_PORT": str(api_port),
            "MIRABELLE_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
        }
        started = [
            subprocess.Popen(
                [sys.executable, "-m", "backend.cli", command],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for command in ("worker", "api")
        ]
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/healthz", timeout=1):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "the api did not start"
                    time.sleep(0.3)
            yield env
        finally:
            for process in started:
                _stop(process)


def _script(console_server, tmp_path, script: str) -> dict | list:
    out = tmp_path / "out.json"
    subprocess.run([sys.executable, "-c", script, str(out)], env=console_server.env, cwd=ROOT, check=True, capture_output=True)
    return json.loads(out.read_text())


def test_an_upload_is_delivered_one_fails_the_admin_fixes_the_phone_and_the_claim_page_reveals_the_code(
    console_server, backend_processes, browser_page, shoot, tmp_path
) -> None:
    from playwright.sync_api import expect

    upload_id = _script(console_server, tmp_path, SETUP)["upload"]
    page, url = browser_page, console_server.url
    page.goto(f"{url}/uploads/{upload_id}")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=re.compile(r"Approve and issue \d+ rows")).click()
    page.locator(".q-dialog").get_by_role("button", name="Approve and issue").click()
    expect(page.get_by_text("issuing 3 rows in the background")).to_be_visible()

    # The worker issues the rows and sends each reward; the upload's page tallies its deliveries.
    card = page.locator(".q-card", has_text="Deliveries of its rewards")
    for _ in range(60):
        page.reload()
        if card.count() and card.get_by_text("See the 1 failed").count():
            break
        page.wait_for_timeout(1000)
    expect(card.get_by_text("See the 1 failed")).to_be_visible()
    shoot(page, "delivery-01-upload-tallies")

    inbox = _script(console_server, tmp_path, INBOX)
    assert sorted(message["to"] for message in inbox) == ["asha@example.com", "bilal@example.com"]

    card.get_by_text("See the 1 failed").click()
    page.wait_for_url(re.compile(r".*/deliveries\?upload="))
    table = page.locator(".q-table", has_text="What happened")
    row = table.locator("tbody tr", has_text="Chen Wu")
    expect(row.get_by_text("Invalid phone number")).to_be_visible()
    expect(row.get_by_role("cell", name=FICTIONAL, exact=True)).to_be_visible()
    shoot(page, "delivery-02-failed-filtered")

    row.get_by_role("button", name="Fix contact and resend").click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text("Fix and resend to Chen Wu (EMP-3)")).to_be_visible()
    dialog.get_by_label("Phone number").fill(REAL)
    shoot(page, "delivery-03-fix-dialog", full_page=False)
    dialog.get_by_role("button", name="Save and resend").click()
    expect(page.get_by_text("Resent 1 of 1: each goes back to the worker now.")).to_be_visible()
    expect(table.locator("tbody tr", has_text="Chen Wu")).to_have_count(0)  # no longer failed
    shoot(page, "delivery-04-resent", full_page=False)

    # Every delivery of the upload; the fixed one is sent by the worker, its timeline shows both attempts.
    page.goto(f"{url}/deliveries?upload={upload_id}")
    chen = page.locator(".q-table tbody tr", has_text="Chen Wu")
    for _ in range(40):
        if chen.get_by_text("Sent", exact=True).count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(chen.get_by_text("Sent", exact=True)).to_be_visible()
    expect(page.locator(".q-table tbody tr", has_text="Failed")).to_have_count(0)
    shoot(page, "delivery-05-all-sent")
    chen.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/deliveries/rewards/"))
    attempts = page.locator(".q-table", has_text="Latency")
    expect(attempts.locator("tbody tr")).to_have_count(2)
    expect(attempts.get_by_text("Failed for good")).to_be_visible()
    expect(page.get_by_text("Resent", exact=True)).to_be_visible()  # in the history, by the admin
    shoot(page, "delivery-06-timeline")

    page.get_by_text("Success rates").first.click()
    page.wait_for_url(re.compile(r".*/delivery-rates"))
    expect(page.locator("canvas")).to_have_count(2)  # per channel, per provider
    shoot(page, "delivery-07-success-rates")

    inbox = _script(console_server, tmp_path, INBOX)
    sms = next(message for message in inbox if message["to"] == REAL)
    claim_url = re.search(r"https?://\S+/claim/\S+", sms["text"]).group(0).rstrip(".")
    page.set_viewport_size({"width": 390, "height": 844})  # the recipient's phone
    page.goto(claim_url)
    expect(page.get_by_role("button", name="Show my code")).to_be_visible()
    shoot(page, "delivery-08-claim-page")
    page.get_by_role("button", name="Show my code").click()
    expect(page.get_by_text("Your code", exact=True)).to_be_visible()
    expect(page.locator(".reveal__code").first).to_have_text(re.compile(r"^CHA-\d{4}$"))
    shoot(page, "delivery-09-code-revealed")
