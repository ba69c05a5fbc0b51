import csv
import io
import zipfile

from onboarding_steps import profile

from backend.core import audit
from backend.partners.services import onboarding, profiles, trail_export
from backend.partners.services.onboarding import EvidenceUpload


async def test_the_trail_exports_as_escaped_csv_with_its_evidence(admin):
    partner = await profiles.create_partner(admin, profile(name="=cmd|' /C calc'!A0"))
    await onboarding.complete_checklist_item(
        admin,
        partner.id,
        "profiling",
        "company_verified",
        note="@SUM(1+1) from the registry",
        evidence=EvidenceUpload(file_name="-register.pdf", content=b"%PDF registry extract"),
    )
    await onboarding.complete_checklist_item(
        admin, partner.id, "profiling", "contacts_confirmed", note="+49 call done\nsecond line"
    )

    export = await trail_export.export_onboarding_trail(admin, partner.id)
    rows = list(csv.reader(io.StringIO(export.csv_text)))
    assert rows[0] == list(trail_export.TRAIL_HEADER)
    verified = next(row for row in rows if row[2] == "Company identity and registration verified")
    assert verified[0] == "'=cmd|' /C calc'!A0" and verified[3] == "done" and verified[5] == admin.label
    assert (
        verified[6] == "'@SUM(1+1) from the registry"
        and verified[7] == "'-register.pdf"
        and verified[9] == str(len(b"%PDF registry extract"))
    )
    contacts = next(row for row in rows if row[2] == "Commercial and support contacts confirmed")
    assert contacts[6] == "'+49 call done\nsecond line"
    # every checklist item and every stage sign-off has a row, open ones too
    assert sum(row[2] == "stage sign-off" for row in rows) == 5 and len(rows) == 1 + 15 + 5
    assert [file.file_name for file in export.evidence] == ["-register.pdf"]
    assert (await audit.entity_history(admin, "partner", partner.id))[0]["action"] == "partner.onboarding_exported"


async def test_the_bundle_holds_the_trail_the_evidence_list_and_the_files(admin):
    partner = await profiles.create_partner(admin, profile())
    item = await onboarding.complete_checklist_item(
        admin, partner.id, "profiling", "agreement_signed", evidence=EvidenceUpload(file_name="agreement.pdf", content=b"signed")
    )
    name, content = await trail_export.export_onboarding_bundle(admin, partner.id)
    assert name.startswith("onboarding-trail-chai-point-") and name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        path = trail_export.bundle_path(item.evidence_file)
        assert sorted(bundle.namelist()) == sorted(["onboarding-trail.csv", "evidence.csv", path])
        assert bundle.read(path) == b"signed"
        evidence_rows = list(csv.reader(io.StringIO(bundle.read("evidence.csv").decode())))
        assert evidence_rows[1][:3] == ["agreement.pdf", item.evidence_file.sha256, "6"]
