"""An admin's first visit in a real browser: sign in, look at users, create an API key, read the
audit log. The console runs as its own process on a fresh SQLite file, as `mirabelle console` would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from backend.core.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
EMAIL, PASSWORD = "admin@example.com", "correct horse battery"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed: apt-get install chromium"),
]


def _environment(tmp_path: Path, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MIRABELLE_", "NICEGUI_"))}
    env.update(
        MIRABELLE_DATABASE_URL=f"sqlite:///{tmp_path / 'console.sqlite3'}",
        MIRABELLE_VAR_DIR=str(tmp_path / "var"),
        MIRABELLE_CONSOLE_PORT=str(port),
        MIRABELLE_LOG_LEVEL="WARNING",
    )
    return env


def _mirabelle(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "backend.cli", *args], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)


def _wait_until_serving(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the console exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the console did not answer {url} within {seconds} s")


@pytest.fixture
def console_url(tmp_path):
    """The real console process on a migrated database with one admin."""
    port = free_port()
    env = _environment(tmp_path, port)
    _mirabelle(env, "migrate")
    _mirabelle(env, "users", "create", "--email", EMAIL, "--name", "Ada Admin", "--role", "admin", "--password", PASSWORD)
    process = subprocess.Popen([sys.executable, "-m", "ui.main"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(f"{url}/login", process)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)  # let Quasar finish its transitions
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_admin_signs_in_creates_an_api_key_and_reads_the_audit_log(console_url, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{console_url}/users")
    expect(page.get_by_text("Sign in to the back office")).to_be_visible()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong email or password")).to_be_visible()
    _shoot(page, "01-login-refused")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console_url}/users")  # back to the page asked for
    expect(page.get_by_text("admin@example.com").first).to_be_visible()
    expect(page.get_by_text("Ada Admin").first).to_be_visible()
    _shoot(page, "02-users")

    page.get_by_text("API keys", exact=True).click()
    page.wait_for_url(f"{console_url}/api-keys")
    page.get_by_role("button", name="New API key").click()
    page.get_by_label("Name").fill("HR sync (Workday)")
    page.get_by_text("recipients:read — read recipients").click()
    page.get_by_text("recipients:write — create and update recipients").click()
    _shoot(page, "03-api-key-form")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("It will not be shown again", exact=False)).to_be_visible()
    secret = page.locator(".font-mono").inner_text().strip()
    assert re.fullmatch(r"mb_[a-z0-9]{12}_[A-Za-z0-9_-]{32,64}", secret), secret
    _shoot(page, "04-api-key-secret-once")
    page.get_by_role("button", name="I have stored it").click()
    expect(page.get_by_text("It will not be shown again", exact=False)).to_have_count(0)
    expect(page.get_by_text(re.compile(r"mb_[a-z0-9]{12}_•+"))).to_be_visible()
    assert secret not in page.content()
    _shoot(page, "05-api-keys")

    page.get_by_text("Audit log", exact=True).click()
    page.wait_for_url(f"{console_url}/audit")
    expect(page.get_by_text("api_key.created")).to_be_visible()
    expect(page.get_by_text("user.login_failed")).to_be_visible()
    _shoot(page, "06-audit-log")
    page.get_by_role("button", name="Details").first.click()
    expect(page.get_by_text("HR sync (Workday)").last).to_be_visible()
    _shoot(page, "07-audit-entry")
    page.keyboard.press("Escape")

    page.get_by_text("Home", exact=True).click()
    page.wait_for_url(f"{console_url}/")
    expect(page.get_by_text("Active API keys")).to_be_visible()
    _shoot(page, "08-home")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out")).to_be_visible()
