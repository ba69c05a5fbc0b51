"""The complaint desk end to end, in a real browser, with the api, the console and the worker each
running as its own process on one SQLite file: a recipient reveals their voucher code, finds it
refused and reports it on the claim page (JavaScript off, on a phone, with a photo); an agent issues
a new code from the console and answers; the worker sends both messages through the sandbox; the
recipient sees the new code on the claim page and the admin sees it in the sandbox inbox; the agent
resolves the ticket within its SLA, the recipient rates the help, and the admin's monthly SLA report
shows it. Screenshots under tests/e2e/screenshots/desk-*.png."""

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
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from backend.core.redis_server import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
EMAIL, PASSWORD = "admin@example.com", "correct horse battery"

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# A ₹500.00 voucher of a live offer, delivered by the sandbox to Asha; prints its claim token.
SETUP = """
import asyncio, json, sys
sys.path[:0] = ["tests/campaigns", "tests/deliveries", "tests/tickets"]
from campaign_steps import role_actor
from code_steps import delivered_code_reward

async def main():
    reward = await delivered_code_reward(role_actor("admin"), role_actor("admin", "checker@example.com"))
    print(json.dumps({"token": reward.token}))

asyncio.run(main())
"""


def _wait_until_serving(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered {url} within {seconds} s")


@contextmanager
def _process(args: list[str], env: dict, ready_url: str | None = None):
    process = subprocess.Popen(
        [sys.executable, *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        if ready_url:
            _wait_until_serving(ready_url, process)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def desk(tmp_path):
    """api, console and worker on one database; yields (api url, console url, claim token)."""
    api_port, console_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MIRABELLE_", "NICEGUI_"))}
    env |= {
        "MIRABELLE_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
        "MIRABELLE_VAR_DIR": str(tmp_path / "var"),
        "MIRABELLE_CONSOLE_PORT": str(console_port),
        "MIRABELLE_API_PORT": str(api_port),
        "MIRABELLE_PUBLIC_URL": api_url,
        "MIRABELLE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    run = {"env": env, "cwd": ROOT, "check": True, "capture_output": True, "timeout": 180, "text": True}
    subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], **run)
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "users", "create", "--email", EMAIL, "--name", "Ada Admin", "--role", "admin",
         "--password", PASSWORD],
        **run,
    )  # fmt: skip
    token = json.loads(subprocess.run([sys.executable, "-c", SETUP], **run).stdout.strip().splitlines()[-1])["token"]
    with EmbeddedRedis(tmp_path / "redis") as redis:
        worker_env = env | {"MIRABELLE_REDIS_URL": redis.url, "MIRABELLE_OUTBOX_RELAY_SECONDS": "1"}
        with (
            _process(["-m", "backend.cli", "api"], env, f"{api_url}/healthz"),
            _process(["-m", "ui.main"], env, f"http://127.0.0.1:{console_port}/login"),
            _process(["-m", "backend.cli", "worker"], worker_env),
        ):
            yield api_url, f"http://127.0.0.1:{console_port}", token


def _until_shown(page, text: str, tries: int = 30) -> None:
    """Reload until the worker's work shows (it sends within a second or two)."""
    for _ in range(tries):
        if page.get_by_text(text).count():
            return
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.get_by_text(text)).to_be_visible()


def test_a_bad_code_reported_replaced_resolved_and_rated(desk, shoot, tmp_path) -> None:
    api, console, token = desk
    photo = Path(tmp_path / "till.png")
    photo.write_bytes(PNG)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            phone = browser.new_context(viewport=PHONE, java_script_enabled=False, device_scale_factor=2).new_page()
            admin = browser.new_context(viewport=DESK).new_page()
            admin.set_default_timeout(30_000)  # as conftest

            # The recipient reveals the code, which the till refuses, and reports it with a photo.
            phone.goto(f"{api}/claim/{token}")
            phone.get_by_role("button", name=re.compile("Show my code")).click()
            old_code = phone.get_by_text(re.compile(r"^CHA-\d{4}$")).inner_text()
            phone.get_by_role("link", name="Report a problem").click()
            phone.get_by_label("What went wrong?").select_option(label="My code doesn't work")
            phone.get_by_label("Tell us more").fill(f"The till says {old_code} is unknown.")
            phone.get_by_label("Add a photo of the problem or a PDF (optional)").set_input_files(str(photo))
            phone.get_by_role("button", name="Send my report").click()
            expect(phone.get_by_text("Thank you: your report is in")).to_be_visible()
            expect(phone.get_by_text("Your files: till.png")).to_be_visible()
            shoot(phone, "desk-1-phone-reported")

            # The agent issues a new code from the console and answers.
            admin.goto(f"{console}/tickets?view=all")
            admin.get_by_label("Email").fill(EMAIL)
            admin.get_by_label("Password").fill(PASSWORD)
            admin.get_by_role("button", name="Sign in").click()
            admin.locator("tbody tr").filter(has_text="Code invalid").get_by_role("link").click()
            expect(admin.get_by_text("Asha Rao (EMP-7)")).to_be_visible()
            expect(admin.get_by_text("till.png")).to_be_visible()
            admin.get_by_role("button", name="Issue a new code").click()
            admin.get_by_label("Why (kept in the audit log)").fill("Refused at the till: sold twice by the partner")
            shoot(admin, "desk-2-console-reissue", full_page=False)
            admin.get_by_role("button", name="Issue new code").click()
            expect(admin.get_by_text("A new code was issued and sent to the recipient")).to_be_visible()
            admin.get_by_label("Write to the recipient, or a note for colleagues").fill(
                "Sorry, Asha! Your new code is on your reward's page and in your inbox."
            )
            admin.get_by_role("button", name="Reply to recipient").click()
            admin.get_by_role("button", name="Send reply").click()
            expect(admin.get_by_text("Reply sent to the recipient: the ticket now waits on their answer.")).to_be_visible()
            _until_shown(admin, "Your reward: a new code · email to asha@example.com · sent")
            shoot(admin, "desk-3-console-ticket")

            # The new code in the sandbox inbox (the recipient's mailbox here).
            admin.goto(f"{console}/sandbox-inbox")
            admin.get_by_role("link", name="Your reward: a new code").click()
            admin.get_by_role("tab", name="Plain text").click()
            text = admin.get_by_text(re.compile(r"Your code: CHA-\d{4}"))
            new_code = re.search(r"Your code: (CHA-\d{4})", text.inner_text()).group(1)
            assert new_code != old_code
            shoot(admin, "desk-4-sandbox-inbox")

            # …and on the claim page; the old code is gone for good.
            phone.goto(f"{api}/claim/{token}")
            phone.get_by_role("button", name=re.compile("Show my code")).click()
            expect(phone.get_by_text(new_code, exact=True)).to_be_visible()
            expect(phone.get_by_text(old_code)).to_have_count(0)
            shoot(phone, "desk-5-phone-new-code")

            # The agent resolves the ticket, within its SLA.
            admin.goto(f"{console}/tickets?view=all")
            admin.locator("tbody tr").filter(has_text="Code invalid").get_by_role("link").click()
            admin.get_by_label("Move to status").click()
            admin.get_by_role("option", name="Resolved").click()
            admin.get_by_role("button", name="Change").click()
            expect(admin.get_by_text("Status changed to “Resolved”.")).to_be_visible()
            expect(admin.get_by_text("met", exact=True).first).to_be_visible()  # the SLA card: targets met

            # The recipient reads the answer and rates the help.
            phone.goto(f"{api}/claim/{token}/ticket")
            expect(phone.get_by_text("Sorry, Asha! Your new code is on your reward's page")).to_be_visible()
            expect(phone.get_by_text("How did we do?")).to_be_visible()
            phone.get_by_role("button", name="Excellent").click()
            expect(phone.get_by_text("Thank you for rating our help.")).to_be_visible()
            shoot(phone, "desk-6-phone-rated")

            # The admin's monthly SLA report has it: resolved within target, rated 5.
            admin.goto(f"{console}/sla-report")
            high = admin.locator("tbody tr").filter(has_text="High")
            expect(high).to_contain_text("5.00 of 5 (1)")
            cells = [cell.inner_text() for cell in high.locator("td").all()]
            assert cells[:4] == ["High", "1", "1", "0"] and cells[5:7] == ["1", "0"], cells
            shoot(admin, "desk-7-sla-report")
        finally:
            browser.close()
