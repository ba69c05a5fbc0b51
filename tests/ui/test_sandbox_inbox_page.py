"""The sandbox inbox: the messages the sandbox provider kept, newest first and paged on the
server, filtered by channel and recipient; a message as its recipient would see it (an email's HTML
in a sandboxed frame, its plain text; an SMS or WhatsApp text as a chat bubble); linked from home."""

from __future__ import annotations

import uuid

import pytest
from delivery_console_steps import PASSWORD, element, labels_within, make_programme
from nicegui.testing import User

from backend.deliveries.providers import Message
from backend.deliveries.providers.sandbox import SandboxProvider


async def keep(channel: str, to: str, text: str, subject: str = "", html: str = "") -> str:
    """What the worker's sandbox provider does with a rendered message."""
    outcome = await SandboxProvider().send(Message(uuid.uuid4(), None, channel, to, subject, html, text))
    return outcome.provider_message_id.removeprefix("sandbox:")


@pytest.fixture
async def inbox(db):
    await make_programme()
    ids = {}
    for n in range(27):
        ids[f"sms-{n}"] = await keep("sms", f"+9198123456{n:02d}", f"Reward number {n}")
    ids["email"] = await keep(
        "email",
        "asha@example.com",
        "Hello Asha,\nClaim: https://rewards.example.com/claim/x",
        subject="Asha, you have a reward",
        html='<p>Hello Asha</p><script>parent.document.title="owned"</script><a href="https://rewards.example.com">Claim</a>',
    )
    ids["whatsapp"] = await keep("whatsapp", "+919800000001", "Hello Ravi! You have *500 points*.\nClaim it here.")
    return ids


async def test_the_inbox_lists_newest_first_pages_and_filters_on_the_server(
    console: User, inbox, patience, table, eventually
) -> None:
    await console.open("/sandbox-inbox")
    rows = table(console, "inbox-table")
    await eventually(lambda: len(rows.rows) == 25)
    assert rows.pagination["rowsNumber"] == 29
    assert [row["channel"] for row in rows.rows[:3]] == ["WhatsApp", "Email", "SMS"]  # newest first
    assert rows.rows[1]["gist"] == "Asha, you have a reward" and rows.rows[2]["gist"] == "Reward number 26"
    assert rows.rows[1]["href"] == f"/sandbox-inbox/{inbox['email']}"

    with console.client:
        element(console, "filter-channel").value = "sms"
    await eventually(lambda: rows.pagination["rowsNumber"] == 27 and {row["channel"] for row in rows.rows} == {"SMS"})
    console.find(marker="filter-recipient").type("1234560")
    await eventually(lambda: rows.pagination["rowsNumber"] == 10)
    assert {row["recipient"] for row in rows.rows} == {f"+9198123456{n:02d}" for n in range(10)}


async def test_an_email_is_shown_in_a_sandboxed_frame_beside_its_plain_text(console: User, inbox, patience) -> None:
    await console.open(f"/sandbox-inbox/{inbox['email']}")
    await console.should_see(marker="message-header", retries=patience)
    await console.should_see("Asha, you have a reward")
    frame = element(console, "message-html")
    assert frame.tag == "iframe" and frame.props["sandbox"] == ""  # no scripts, no access to the console
    assert "<script>" in frame.props["srcdoc"]  # shown as kept; the frame will not run it
    console.find(marker="tab-text").click()
    assert labels_within(console, "message-text") == ["Hello Asha,\nClaim: https://rewards.example.com/claim/x"]


async def test_a_whatsapp_message_is_a_chat_bubble(console: User, inbox, patience) -> None:
    await console.open(f"/sandbox-inbox/{inbox['whatsapp']}")
    await console.should_see(marker="message-bubble", retries=patience)
    assert labels_within(console, "message-bubble") == ["+919800000001", "Hello Ravi! You have *500 points*.\nClaim it here."]
    await console.open(f"/sandbox-inbox/{uuid.uuid4()}")
    await console.should_see("This message is not in the sandbox inbox.", retries=patience)


async def test_home_links_a_newcomer_to_the_inbox(console: User, inbox, patience) -> None:
    await console.open("/")
    await console.should_see(marker="tally-sandbox-inbox", retries=patience)
    assert "29" in labels_within(console, "tally-sandbox-inbox")
    console.find(marker="tally-sandbox-inbox").click()
    await console.should_see(marker="inbox-table", retries=patience)


async def test_a_support_agent_reads_the_inbox(
    user: User, admin, inbox, sign_in, create_person, patience, table, eventually
) -> None:
    await create_person("agent@example.com", ["support_agent"])
    await sign_in("agent@example.com", PASSWORD, path="/sandbox-inbox")
    await user.should_see(marker="inbox-table", retries=patience)
    await eventually(lambda: table(user, "inbox-table").pagination["rowsNumber"] == 29)
    await user.should_see(marker="nav-sandbox-inbox")
