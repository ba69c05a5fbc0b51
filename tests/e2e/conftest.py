"""What the real-browser journeys share: the console as its own process on a fresh SQLite file (as
`mirabelle console` would run it), Debian's chromium driven by Playwright, and screenshots."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.core.redis_server import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EMAIL, PASSWORD = "admin@example.com", "correct horse battery"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items) -> None:
    """Every journey here is an e2e test, skipped (saying why) on a machine without chromium."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason="chromium not installed: apt-get install chromium"))


def _environment(tmp_path: Path, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MIRABELLE_", "NICEGUI_"))}
    env.update(
        MIRABELLE_DATABASE_URL=f"sqlite:///{tmp_path / 'console.sqlite3'}",
        MIRABELLE_VAR_DIR=str(tmp_path / "var"),
        MIRABELLE_CONSOLE_PORT=str(port),
        MIRABELLE_LOG_LEVEL="WARNING",
    )
    return env


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


@dataclass(frozen=True)
class ConsoleServer:
    url: str
    env: dict[str, str]

    def mirabelle(self, *args: str) -> None:
        """Run a `mirabelle` command against the console's database."""
        subprocess.run(
            [sys.executable, "-m", "backend.cli", *args], env=self.env, cwd=ROOT, check=True, capture_output=True, timeout=120
        )

    def python(self, script: str) -> None:
        """Run a Python script against the console's database (to set up what a journey starts from)."""
        subprocess.run([sys.executable, "-c", script], env=self.env, cwd=ROOT, check=True, capture_output=True, timeout=120)


@pytest.fixture
def console_server(tmp_path):
    """The real console process on a migrated database with one admin."""
    port = free_port()
    server = ConsoleServer(url=f"http://127.0.0.1:{port}", env=_environment(tmp_path, port))
    server.mirabelle("migrate")
    server.mirabelle("users", "create", "--email", EMAIL, "--name", "Ada Admin", "--role", "admin", "--password", PASSWORD)
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.main"],
        env=server.env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait_until_serving(f"{server.url}/login", process)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def console_url(console_server) -> str:
    return console_server.url


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(30_000)  # a loaded machine (E2E_WORKERS=2) can take more than 15 s
            yield page
        finally:
            browser.close()


def _shoot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)  # let Quasar finish its transitions
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def shoot():
    """``shoot(page, "01-login")``: a full-page screenshot under tests/e2e/screenshots/ (``full_page=False``:
    the window only, for a dialog, which a full-page shot would show over an empty stretch)."""
    return _shoot


@pytest.fixture
def worker(console_server, tmp_path):
    """`mirabelle worker` on the console's database, with an embedded Redis. The console has no Redis
    here, so the worker's relay and crons (every second) find what the console asked for."""
    with EmbeddedRedis(tmp_path / "redis") as redis:
        env = {**console_server.env, "MIRABELLE_REDIS_URL": redis.url, "MIRABELLE_OUTBOX_RELAY_SECONDS": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
