"""Contact corrections from a CSV: every bad row reported with its line and field and nothing
changed; a good file saved through the recipients domain and those recipients' failed deliveries
resent; file-level problems (columns, size, encoding) refused naming the file."""

from __future__ import annotations

import io

import pytest
from delivery_steps import Programme, count, delivery_row, handle, person

from backend.core import sql
from backend.core.errors import DomainError
from backend.deliveries.services import contact_fixes
from backend.recipients import services as recipients


def csv_file(*lines: str) -> io.BytesIO:
    return io.BytesIO("\r\n".join(lines).encode())


async def failed_email(shop, external_id: str, **contacts):
    who = await person(external_id, **contacts)
    issuance_id = await shop.issue(who.id)
    await handle(issuance_id)
    await sql.fetch("UPDATE deliveries SET status = 'failed', failure_code = 'HARD_BOUNCE' WHERE issuance_id = $1", issuance_id)
    return who, issuance_id


async def test_every_bad_row_is_reported_with_its_line_and_nothing_changes(admin):
    shop = await Programme(admin).start()
    await failed_email(shop, "E-1", email="e1@example.com", country="IN")
    for external_id in ("E-2", "E-3", "E-4"):
        await person(external_id, email=f"{external_id.lower()}@example.com")
    audit_before = await count("SELECT COUNT(*) FROM audit_events")
    report = await contact_fixes.correct_contacts_from_csv(
        admin,
        csv_file(
            "external_id,email,phone,whatsapp",
            "E-1,fixed@example.com,,",  # good, but the file is refused as a whole
            "E-2,not an email,,",
            "NOBODY,x@example.com,,",
            ",a@example.com,,",
            '"E-1",,"98765 43210",',  # E-1 again
            "E-3,,12,+44",
            "E-4,,,",  # nothing on it
        ),
    )
    assert report.applied is False and report.rows == 7
    assert [(error.line, error.field, error.code) for error in report.errors] == [
        (3, "email", "INVALID_EMAIL"),
        (4, "external_id", "NOT_FOUND"),
        (5, "external_id", "REQUIRED"),
        (6, "external_id", "DUPLICATE"),
        (7, "phone", "INVALID_PHONE"),
        (7, "whatsapp", "INVALID_PHONE"),
        (8, "email", "NOTHING_TO_CORRECT"),
    ]
    assert "line 2" in report.errors[3].message
    assert (await recipients.get_recipient(admin, external_id="E-1")).email == "e1@example.com"
    assert await count("SELECT COUNT(*) FROM audit_events") == audit_before
    assert await count("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 1


async def test_a_good_file_corrects_the_contacts_and_resends_those_recipients_failed_deliveries(admin):
    shop = await Programme(admin).start()
    asha, asha_reward = await failed_email(shop, "E-1", email="asha@bounced.example", country="IN")
    ravi, ravi_reward = await failed_email(shop, "E-2", email="ravi@example.com", country="IN")
    bystander, bystander_reward = await failed_email(shop, "E-3", email="b@example.com")
    report = await contact_fixes.correct_contacts_from_csv(
        admin,
        csv_file(
            "External ID;Email;Phone",  # semicolons, and a header written by a person
            "E-1;asha@example.com;98765 43210",
            "",
            "E-2;ravi@example.com;",  # already so: unchanged
        ),
    )
    assert report.errors == [] and report.applied is True
    assert (report.rows, report.corrected, report.unchanged) == (2, 2, 1)
    asha = await recipients.get_recipient(admin, recipient_id=asha.id)
    assert (asha.email, asha.phone) == ("asha@example.com", "+919876543210")
    assert sorted(r.issuance_id for r in report.resend.resent) == sorted([asha_reward, ravi_reward])
    assert (await delivery_row(asha_reward))["contact"] == "asha@example.com"
    assert (await delivery_row(asha_reward))["status"] == "pending"
    assert (await delivery_row(bystander_reward))["status"] == "failed"  # not in the file
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'recipient.contact_corrected'") == 2


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"name,email\r\nE-1,a@example.com", "MISSING_COLUMN"),
        (b"external_id\r\nE-1", "MISSING_COLUMN"),
        (b"external_id,email,amount\r\nE-1,a@example.com,5", "UNKNOWN_COLUMN"),
        (b"external_id,email\r\n", "EMPTY_FILE"),
        (b"external_id,email\r\nE-1,caf\xe9@example.com", "NOT_UTF8"),
        (b'external_id,email\r\nE-1,"a@example.com\r\n', "MALFORMED_CSV"),
    ],
)
async def test_file_level_problems_are_refused_naming_the_file(admin, content, code):
    with pytest.raises(DomainError) as refused:
        await contact_fixes.correct_contacts_from_csv(admin, io.BytesIO(content))
    assert (refused.value.code, refused.value.errors[0].field) == (code, "file")


async def test_a_file_past_its_bounds_is_refused(admin, monkeypatch):
    monkeypatch.setattr(contact_fixes, "MAX_ROWS", 2)
    with pytest.raises(DomainError) as rows:
        await contact_fixes.correct_contacts_from_csv(admin, csv_file("external_id,email", "A,a@x.io", "B,b@x.io", "C,c@x.io"))
    assert rows.value.code == "TOO_MANY_ROWS"
    monkeypatch.setattr(contact_fixes, "MAX_FILE_BYTES", 64)
    with pytest.raises(DomainError) as size:
        await contact_fixes.correct_contacts_from_csv(
            admin, csv_file("external_id,email", *[f"E-{i},e{i}@example.com" for i in range(20)])
        )
    assert size.value.code == "FILE_TOO_LARGE"
