"""Files attached to a ticket: taken for what their first bytes say (not their name), bounded in size
and number, refused all at once with each reason; downloaded only by roles that read tickets, each
download audited; emptied by retention with the rest of a closed ticket's content."""

from datetime import UTC, datetime, timedelta

import pytest
from ticket_steps import AGENT, count, report

from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.errors import DomainError, PermissionDenied
from backend.core.ids import new_id
from backend.tickets.services import attachments, claim_page, conversation, desk, retention
from backend.tickets.services.attachments import MAX_BYTES, AttachmentUpload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%fake but well begun\n"
EXE = b"MZ\x90\x00" + b"\x00" * 64
VIEWER = Actor(ActorKind.USER, new_id(), "Vic Viewer", frozenset({Permission.REWARDS_READ}))


def test_the_type_comes_from_the_content():
    assert attachments.sniffed_type(PNG) == "image/png"
    assert attachments.sniffed_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert attachments.sniffed_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert attachments.sniffed_type(PDF) == "application/pdf"
    assert attachments.sniffed_type(EXE) is None
    assert attachments.sniffed_type(b"<svg onload=alert(1)>") is None


async def test_an_agent_attaches_and_only_readers_download_each_read_audited(reward):
    ticket_id = (await report(reward)).ticket_id
    (kept,) = await attachments.attach(AGENT, ticket_id, [AttachmentUpload("C:\\Users\\asha\\till.png", PNG)])
    assert (kept.file_name, kept.content_type, kept.size_bytes) == ("till.png", "image/png", len(PNG))
    for _ in range(2):
        view, content = await attachments.attachment_content(AGENT, kept.id)
        assert content == PNG and view.sha256 == kept.sha256
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.attachment_read'") == 2
    with pytest.raises(PermissionDenied):
        await attachments.attachment_content(VIEWER, kept.id)
    with pytest.raises(PermissionDenied):
        await attachments.ticket_attachments(VIEWER, ticket_id)
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.attachment_read'") == 2
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.attachment_added'") == 1


async def test_bad_files_are_refused_together_and_nothing_is_kept(reward):
    ticket_id = (await report(reward)).ticket_id
    files = [
        AttachmentUpload("receipt.png", EXE),  # an executable named like a picture
        AttachmentUpload("photo.png", PDF),  # a PDF named like a picture
        AttachmentUpload("big.png", PNG + b"\x00" * MAX_BYTES),
        AttachmentUpload("empty.pdf", b""),
    ]
    with pytest.raises(DomainError) as refused:
        await attachments.attach(AGENT, ticket_id, files[:3])
    assert [e.code for e in refused.value.errors] == ["FILE_TYPE_REFUSED", "FILE_TYPE_MISMATCH", "FILE_TOO_LARGE"]
    assert all(e.field == "attachments" for e in refused.value.errors)
    with pytest.raises(DomainError) as refused:
        await attachments.attach(AGENT, ticket_id, [AttachmentUpload(f"{n}.pdf", PDF) for n in range(4)])
    assert refused.value.code == "TOO_MANY_FILES"
    with pytest.raises(DomainError) as refused:
        await attachments.attach(AGENT, ticket_id, files[3:])
    assert refused.value.code == "EMPTY_FILE"
    assert await count("SELECT COUNT(*) FROM ticket_attachments") == 0


async def test_the_recipient_attaches_on_the_claim_page_and_a_resent_form_keeps_one(reward):
    opened = await claim_page.report_problem(reward, "code_invalid", "Refused", "k" * 32, [AttachmentUpload("till.png", PNG)])
    again = await claim_page.report_problem(reward, "code_invalid", "Refused", "k" * 32, [AttachmentUpload("till.png", PNG)])
    assert again.ticket_id == opened.ticket_id
    await claim_page.recipient_reply(reward, opened.ticket_id, "Here is the receipt", [AttachmentUpload("receipt.pdf", PDF)])
    assert await claim_page.recipient_files(reward, opened.ticket_id) == ["till.png", "receipt.pdf"]
    with pytest.raises(DomainError) as refused:  # a refused file refuses the reply: nothing is added
        await claim_page.recipient_reply(reward, opened.ticket_id, "and this", [AttachmentUpload("virus.pdf", EXE)])
    assert refused.value.code == "FILE_TYPE_REFUSED"
    assert (
        await count("SELECT COUNT(*) FROM ticket_messages") == 2 and await count("SELECT COUNT(*) FROM ticket_attachments") == 2
    )


async def test_retention_empties_the_files(programme, reward):
    await desk.set_desk_settings(SYSTEM, programme.programme.id, desk.DeskSettings(retention_days=30))
    ticket_id = (await report(reward)).ticket_id
    (kept,) = await attachments.attach(AGENT, ticket_id, [AttachmentUpload("till.png", PNG)])
    await conversation.change_status(AGENT, ticket_id, "closed")
    assert await retention.purge_expired_content(datetime.now(UTC) + timedelta(days=31)) == 1
    (purged,) = await attachments.ticket_attachments(AGENT, ticket_id)
    assert purged.purged_at is not None and purged.file_name == "" and purged.size_bytes == len(PNG)
    with pytest.raises(DomainError) as refused:
        await attachments.attachment_content(AGENT, kept.id)
    assert refused.value.code == "ATTACHMENT_PURGED"
