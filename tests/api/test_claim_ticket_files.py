"""Files on the claim page's ticket forms, through real HTTP: a photo with the report and a PDF with
the answer are kept (their names shown to the recipient); a file that is not what its name says is
refused in words next to the file field, and nothing is sent."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from test_claim_tickets import TicketPage, delivered_reward, words  # noqa: E402
from ticket_steps import AGENT, count  # noqa: E402

from backend.tickets.services import attachments  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%receipt\n"
EXE = b"MZ\x90\x00" + b"\x00" * 32


class FilingPage(TicketPage):
    async def send_files(self, where: str, data: dict, files: list[tuple[str, bytes, str]]):
        response = await self.http.post(
            self.path + where, data=data, files=[("attachments", (name, content, kind)) for name, content, kind in files]
        )
        if response.status_code == 303:
            return await self.open(response.headers["location"][len(self.path) :])
        self.html = response.text
        return response


async def test_a_report_and_an_answer_carry_files(api, admin):
    token, _issuance_id, _ = await delivered_reward(admin)
    page = FilingPage(api, token)
    await page.open()
    assert 'enctype="multipart/form-data"' in page.html and 'type="file" name="attachments"' in page.html
    refused = await page.send_files(
        "", {**page.fields(report=True), "category": "code_invalid", "message": "Refused"}, [("till.png", EXE, "image/png")]
    )
    assert refused.status_code == 400
    assert "till.png is not a picture or a PDF" in words(refused) and 'id="report-attachments-error"' in refused.text
    assert await count("SELECT COUNT(*) FROM tickets") == 0 and await count("SELECT COUNT(*) FROM ticket_attachments") == 0

    await page.open()
    reported = await page.send_files(
        "", {**page.fields(report=True), "category": "code_invalid", "message": "Refused"}, [("till.png", PNG, "image/png")]
    )
    assert "Thank you: your report is in" in words(reported) and "Your files: till.png" in words(reported)
    answered = await page.send_files(
        "/reply", {**page.fields(), "message": "The receipt"}, [("receipt.pdf", PDF, "application/pdf")]
    )
    assert "Your answer is sent." in words(answered) and "Your files: till.png, receipt.pdf" in words(answered)
    ticket_id = page.fields()["ticket_id"]
    kept = await attachments.ticket_attachments(AGENT, ticket_id)
    assert [(f.file_name, f.content_type) for f in kept] == [("till.png", "image/png"), ("receipt.pdf", "application/pdf")]
    assert (await attachments.attachment_content(AGENT, kept[1].id))[1] == PDF
