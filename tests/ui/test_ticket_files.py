"""A ticket's files in the console: listed, downloaded through the desk (each download audited), an
agent attaches one (checked by its content: a disguised file is refused in words); a role without
tickets:read never reaches the page."""

from __future__ import annotations

import os
import sys

from nicegui import ui as nicegui_ui
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tickets"))  # ticket_steps

from delivery_steps import Programme, person
from ticket_steps import count

import ui.main  # noqa: F401  the console's pages import one another in its order
from backend.tickets.services import attachments, claim_page
from backend.tickets.services.attachments import AttachmentUpload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def test_files_are_listed_downloaded_with_an_audit_and_attached(console: User, admin, patience) -> None:
    programme = await Programme(admin).start()
    asha = await person("EMP-1", name="Asha Rao", email="asha@example.com")
    reward = await programme.issue(asha.id)
    opened = await claim_page.report_problem(reward, "code_invalid", "Refused", files=[AttachmentUpload("till.png", PNG)])
    await console.open(f"/tickets/{opened.ticket_id}")
    await console.should_see(marker="ticket-files", retries=patience)
    await console.should_see("till.png", retries=patience)
    console.find(marker="download-file").click()
    assert (await console.download.next(timeout=5)).content == PNG
    await console.should_see("Downloaded till.png", retries=patience)
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.attachment_read'") == 1

    upload = next(iter(console.find(marker="attach-file").elements))
    await upload.handle_uploads([nicegui_ui.upload.SmallFileUpload("notes.pdf", "application/pdf", b"MZ\x90\x00 not a pdf")])
    await console.should_see("is not a picture or a PDF (accepted:", retries=patience)
    assert await count("SELECT COUNT(*) FROM ticket_attachments") == 1
    await upload.handle_uploads(
        [nicegui_ui.upload.SmallFileUpload("notes.pdf", "application/pdf", b"%PDF-1.4 the agent's notes")]
    )
    await console.should_see("notes.pdf attached.", retries=patience)
    names = [f.file_name for f in await attachments.ticket_attachments(admin, opened.ticket_id)]
    assert names == ["till.png", "notes.pdf"]
