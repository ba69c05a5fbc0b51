"""Delivery settings and the sandbox inbox in a real browser, at a desk (1440 px) and on a phone
(390 px): a programme's providers with the secret masked, a test message sent by the worker, the
SMS template editor with its live preview and segments, and the sandbox inbox with an email shown
in a sandboxed frame and a WhatsApp message as a bubble. Screenshots under
tests/e2e/screenshots/delivery-*.png."""

from __future__ import annotations

import pytest

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates

SETUP = """
import asyncio, uuid
from backend.core.authz import SYSTEM
from backend.deliveries.providers import Message
from backend.deliveries.providers.sandbox import SandboxProvider
from backend.deliveries.services import providers
from backend.deliveries.services.providers import ProviderInput
from backend.recipients import services

HTML = '''<div style="font-family: sans-serif"><h2 style="color:#5b3f8f">Hello Asha,</h2>
<p>You have been rewarded with <strong>Chai Point gift card</strong> worth <strong>500.00 INR</strong>.</p>
<p><a href="https://rewards.example.com/claim/x">Claim your reward</a></p><script>document.body.innerHTML = 'owned'</script></div>'''

async def main():
    programme = await services.create_programme(SYSTEM, "Sales Stars", "INR", "0.25")
    await providers.set_provider(SYSTEM, ProviderInput(programme.id, "sms", "primary", "http_messaging",
        {"base_url": "https://api.twilio.com/2010-04-01", "account_sid": "AC0123456789", "from_number": "+14155550100"},
        secret="twilio-token-5f3a"))
    sandbox = SandboxProvider()
    await sandbox.send(Message(uuid.uuid4(), programme.id, "email", "asha@example.com",
        "Asha Rao, you have a reward: Chai Point gift card", HTML,
        "Hello Asha Rao,\\n\\nYou have been rewarded with Chai Point gift card worth 500.00 INR.\\n"))
    for n in range(3):
        await sandbox.send(Message(uuid.uuid4(), programme.id, "sms", f"+91981234567{n}", "", "",
            f"Person {n}, you have a reward: 1,500 points. Claim it at https://rewards.example.com/claim/t{n}"))
    await sandbox.send(Message(uuid.uuid4(), programme.id, "whatsapp", "+919800000001", "", "",
        "Hello Ravi! You have been rewarded with *1,500 points*.\\nClaim it here: https://rewards.example.com/claim/w"))

asyncio.run(main())
"""


def sign_in(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


@pytest.mark.parametrize("width", [1440, 390])
def test_delivery_settings_and_the_sandbox_inbox(console_server, worker, browser_page, shoot, width) -> None:
    from playwright.sync_api import expect

    console_server.python(SETUP)
    page, url = browser_page, console_server.url
    page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
    sign_in(page, f"{url}/")
    expect(page.get_by_text("messages kept instead of sent", exact=False)).to_be_visible()
    shoot(page, f"delivery-{width}-01-home")

    page.goto(f"{url}/delivery-settings")
    expect(page.get_by_text("Auth token: ••••••••5f3a")).to_be_visible()
    assert "twilio-token" not in page.content()
    shoot(page, f"delivery-{width}-02-providers")

    page.get_by_role("button", name="Change").first.click()  # the SMS primary is the only one set
    expect(page.get_by_text("Stored: ••••••••5f3a. Leave empty to keep it.")).to_be_visible()
    shoot(page, f"delivery-{width}-03-provider-form", full_page=False)
    page.get_by_role("button", name="Cancel").click()

    page.locator("[data-testid], .q-card").filter(has_text="Email").get_by_role("button", name="Send a test").first.click()
    page.get_by_label("Send to").fill("ops@example.com")
    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_text("Sent to ops@example.com through sandbox")).to_be_visible(timeout=30_000)
    shoot(page, f"delivery-{width}-04-test-sent", full_page=False)
    page.get_by_role("button", name="Close").click()

    page.goto(f"{url}/delivery-settings?tab=templates&channel=sms")
    editor = page.get_by_label("Message")
    editor.fill("Hi {{ recipient_name }}, here’s your reward: {{ offer_name }} worth {{ value }}. Claim: {{ claim_url }}")
    expect(page.get_by_text("Sent as UCS-2 (70 a segment) because of: “’” (U+2019)")).to_be_visible()
    expect(page.get_by_text("UCS-2 · 2 segments", exact=False)).to_be_visible()
    shoot(page, f"delivery-{width}-05-sms-template")
    editor.fill("Hi {{ recipient_name }")
    expect(page.get_by_text("The text template does not compile (line 1)", exact=False)).to_be_visible()
    shoot(page, f"delivery-{width}-06-template-problem")

    page.goto(f"{url}/delivery-settings?tab=rules")
    expect(page.get_by_text("Quiet hours").first).to_be_visible()
    shoot(page, f"delivery-{width}-07-sending-rules")

    page.goto(f"{url}/sandbox-inbox")
    asha = page.get_by_text("Asha Rao, you have a reward: Chai Point gift card", exact=True)
    expect(page.get_by_text("[Test] Asha Rao, you have a reward", exact=False)).to_be_visible()  # the test message too
    shoot(page, f"delivery-{width}-08-inbox")
    asha.click()
    frame = page.frame_locator("iframe")
    expect(frame.get_by_text("Claim your reward")).to_be_visible()
    expect(frame.get_by_text("owned")).to_have_count(0)  # the frame's script never ran
    shoot(page, f"delivery-{width}-09-email")

    page.goto(f"{url}/sandbox-inbox")
    page.get_by_text("Hello Ravi!", exact=False).first.click()
    expect(page.locator(".mb-bubble")).to_contain_text("*1,500 points*")
    shoot(page, f"delivery-{width}-10-whatsapp")
