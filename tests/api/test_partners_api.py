"""Partners over GraphQL: the list and its filters, one partner's onboarding (stages, evidence,
blockers), the profile and workflow mutations with typed errors, and maker-checker go-live."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import pytest
from test_catalog_api import CATALOGUE_ADMIN_SCOPES, scoped_key, upload

from backend.api.partners.types.errors import PartnerErrorCode
from backend.core import audit
from backend.partners import checklist
from backend.partners.services import onboarding, profiles
from backend.partners.services.profiles import PartnerProfileInput
from backend.partners.tables import ChecklistCompletion, EvidenceFile, Partner
from backend.partners.views import Contact


def profile(**overrides) -> PartnerProfileInput:
    values = {
        "name": "Chai Point",
        "source": "client_sourced",
        "category": "Dining",
        "countries": ["IN"],
        "reward_types": ["voucher"],
        "contacts": [Contact(name="Ravi", email="ravi@chaipoint.example")],
    }
    return PartnerProfileInput(**(values | overrides))


@pytest.fixture
async def admin_key(make_key) -> str:
    return await scoped_key(make_key, CATALOGUE_ADMIN_SCOPES)


@pytest.fixture
async def read_key(make_key) -> str:
    return await make_key("catalog:read", name="storefront")


PARTNERS = """
query Partners($first: Int!, $after: String, $filter: PartnerFilterInput) {
  partners(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name status source countries currentStage } }
  }
}"""

PARTNER = """
query Partner($id: ID!) {
  partner(id: $id) {
    name status
    onboarding {
      currentStage readyForGoLiveRequest
      stages { key state itemsDone signedOffBy items { key done automated note completedBy
               evidenceFile { fileName sha256 sizeBytes contentType } } }
      goLiveRequest { status }
      blockers { code stage item message }
    }
  }
}"""

CREATE = """
mutation CreatePartner($input: CreatePartnerInput!) {
  createPartner(input: $input) {
    partner { id name source category countries rewardTypes status contacts { name email phone } createdBy currentStage }
    errors { field code message }
  }
}"""

COMPLETE = """
mutation Complete($input: CompleteChecklistItemInput!) {
  completeChecklistItem(input: $input) {
    item { key done note completedBy evidenceFile { fileName sha256 sizeBytes } }
    errors { field code message }
  }
}"""

SIGN_OFF = """
mutation SignOff($input: SignOffStageInput!) {
  signOffStage(input: $input) { stage { key state signedOffBy } errors { field code message } }
}"""

CHAI = {
    "name": "Chai Point",
    "source": "CLIENT_SOURCED",
    "category": "Dining",
    "countries": ["ind", "DE"],
    "rewardTypes": ["VOUCHER", "GIFT_CARD"],
    "contacts": [{"name": "Ravi Menon", "email": "Ravi@ChaiPoint.example", "phone": "+91 98123 45678"}],
}


def codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


# ---------------------------------------------------------------- scopes


async def test_reads_need_catalog_read_and_writes_partners_write(api, make_key, read_key):
    assert (await api.post(PARTNERS, {"first": 5})).status_code == 401
    hr = await make_key("recipients:read", name="hr")
    (error,) = await api.errors(PARTNERS, {"first": 5}, key=hr)
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "catalog:read"}
    refused = (await api.data(CREATE, {"input": CHAI}, key=read_key))["createPartner"]
    assert (
        refused["partner"] is None
        and codes(refused) == [(None, "FORBIDDEN")]
        and "partners:write" in refused["errors"][0]["message"]
    )
    assert await Partner.count() == 0


# ---------------------------------------------------------------- profiles


async def test_create_partner_normalises_and_audits_under_the_key(api, admin_key, admin):
    payload = (await api.data(CREATE, {"input": CHAI}, key=admin_key))["createPartner"]
    assert payload["errors"] == []
    partner = payload["partner"]
    assert (partner["countries"], partner["rewardTypes"], partner["status"], partner["currentStage"]) == (
        ["DE", "IN"],
        ["GIFT_CARD", "VOUCHER"],
        "ONBOARDING",
        "PROFILING",
    )
    assert partner["contacts"] == [{"name": "Ravi Menon", "email": "Ravi@chaipoint.example", "phone": "+919812345678"}]
    assert partner["createdBy"] == "api-key:catalogue admin"
    (entry,) = (await audit.search(admin, audit.AuditFilter(entity_type="partner"))).rows
    assert (entry["action"], entry["entity_id"], entry["actor_kind"]) == ("partner.created", partner["id"], "api_key")


async def test_bad_profiles_report_every_field_and_a_taken_name(api, admin_key, admin):
    await profiles.create_partner(admin, profile())
    bad = {**CHAI, "name": " ", "countries": ["Narnia"], "contacts": [{"name": "", "email": "not-an-email"}]}
    payload = (await api.data(CREATE, {"input": bad}, key=admin_key))["createPartner"]
    assert set(codes(payload)) == {
        ("name", "REQUIRED"),
        ("countries", "INVALID_COUNTRY"),
        ("contacts[0].name", "REQUIRED"),
        ("contacts[0].email", "INVALID_EMAIL"),
    }
    taken = (await api.data(CREATE, {"input": {**CHAI, "name": "CHAI POINT"}}, key=admin_key))["createPartner"]
    assert codes(taken) == [("name", "NAME_TAKEN")]
    assert await Partner.count() == 1


async def test_update_partner_replaces_the_profile(api, admin_key, admin):
    chai = await profiles.create_partner(admin, profile())
    update = """mutation U($input: UpdatePartnerInput!) { updatePartner(input: $input) {
                  partner { name category countries audienceFit } errors { field code } } }"""
    changed = (
        await api.data(
            update, {"input": {**CHAI, "partnerId": str(chai.id), "category": "Cafes", "audienceFit": "Commuters"}}, key=admin_key
        )
    )["updatePartner"]
    assert changed == {
        "partner": {"name": "Chai Point", "category": "cafes", "countries": ["DE", "IN"], "audienceFit": "Commuters"},
        "errors": [],
    }
    unknown = (await api.data(update, {"input": {**CHAI, "partnerId": "0190f3a0-0000-7000-8000-000000000000"}}, key=admin_key))[
        "updatePartner"
    ]
    assert codes(unknown) == [("partnerId", "NOT_FOUND")]


# ---------------------------------------------------------------- reads


async def test_partners_filter_and_page_with_their_current_stage(api, read_key, admin):
    made = [
        await profiles.create_partner(admin, profile(name=f"Partner {n}", countries=["DE"] if n % 2 else ["IN"]))
        for n in range(5)
    ]
    await onboarding.complete_checklist_item(admin, made[0].id, checklist.PROFILING, "company_verified", note="ok")
    for item in checklist.stage(checklist.PROFILING).items[1:]:
        await onboarding.complete_checklist_item(admin, made[0].id, checklist.PROFILING, item.key, note="ok")
    await onboarding.sign_off_stage(admin, made[0].id, checklist.PROFILING)
    page = (await api.data(PARTNERS, {"first": 2}, key=read_key))["partners"]
    assert page["totalCount"] == 5 and page["pageInfo"]["hasNextPage"] is True
    assert [(edge["node"]["name"], edge["node"]["currentStage"]) for edge in page["edges"]] == [
        ("Partner 0", "OFFER_SETUP"),
        ("Partner 1", "PROFILING"),
    ]
    rest = (await api.data(PARTNERS, {"first": 5, "after": page["pageInfo"]["endCursor"]}, key=read_key))["partners"]
    assert [edge["node"]["name"] for edge in rest["edges"]] == ["Partner 2", "Partner 3", "Partner 4"]
    german = (await api.data(PARTNERS, {"first": 5, "filter": {"country": "deu", "search": "partner"}}, key=read_key))["partners"]
    assert [edge["node"]["name"] for edge in german["edges"]] == ["Partner 1", "Partner 3"] and german["totalCount"] == 2
    live = (await api.data(PARTNERS, {"first": 5, "filter": {"status": "LIVE"}}, key=read_key))["partners"]
    assert live["totalCount"] == 0 and live["edges"] == []


async def test_one_partner_with_its_onboarding_and_blockers(api, read_key, admin):
    chai = await profiles.create_partner(admin, profile())
    await onboarding.complete_checklist_item(admin, chai.id, checklist.PROFILING, "company_verified", note="registry extract")
    shown = (await api.data(PARTNER, {"id": str(chai.id)}, key=read_key))["partner"]
    flow = shown["onboarding"]
    assert (flow["currentStage"], flow["readyForGoLiveRequest"], flow["goLiveRequest"]) == ("PROFILING", False, None)
    assert [(stage["key"], stage["state"]) for stage in flow["stages"]] == [
        ("PROFILING", "OPEN"),
        ("OFFER_SETUP", "LOCKED"),
        ("ELIGIBILITY", "LOCKED"),
        ("UAT", "LOCKED"),
        ("GO_LIVE", "LOCKED"),
    ]
    verified = flow["stages"][0]["items"][0]
    assert (verified["key"], verified["done"], verified["note"], verified["completedBy"]) == (
        "company_verified",
        True,
        "registry extract",
        "admin@example.com",
    )
    assert flow["stages"][0]["itemsDone"] == 1
    assert flow["blockers"][0] == {
        "code": "ITEM_INCOMPLETE",
        "stage": "PROFILING",
        "item": "contacts_confirmed",
        "message": "Profiling: 'Commercial and support contacts confirmed' is not done",
    }
    assert {"code": "STAGE_NOT_SIGNED_OFF", "stage": "GO_LIVE", "item": None, "message": "Go-live is not signed off"} in flow[
        "blockers"
    ]
    assert (await api.data(PARTNER, {"id": "0190f3a0-0000-7000-8000-000000000000"}, key=read_key))["partner"] is None
    (error,) = await api.errors(PARTNER, {"id": "42"}, key=read_key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


# ---------------------------------------------------------------- the workflow


async def test_checklist_items_need_evidence_and_open_stages(api, admin_key, admin):
    chai = await profiles.create_partner(admin, profile())
    base = {"partnerId": str(chai.id), "stage": "PROFILING", "item": "company_verified"}
    no_evidence = (await api.data(COMPLETE, {"input": base}, key=admin_key))["completeChecklistItem"]
    assert codes(no_evidence) == [("note", "EVIDENCE_REQUIRED")]
    locked = (
        await api.data(COMPLETE, {"input": {**base, "stage": "UAT", "item": "redemption_tested", "note": "ok"}}, key=admin_key)
    )["completeChecklistItem"]
    assert codes(locked) == [("stage", "STAGE_LOCKED")]
    unknown = (await api.data(COMPLETE, {"input": {**base, "item": "astrology", "note": "ok"}}, key=admin_key))[
        "completeChecklistItem"
    ]
    assert codes(unknown) == [("item", "UNKNOWN_ITEM")]
    automated = (
        await api.data(COMPLETE, {"input": {**base, "stage": "UAT", "item": "sandbox_issuance", "note": "ok"}}, key=admin_key)
    )["completeChecklistItem"]
    assert codes(automated) == [("item", "ITEM_AUTOMATED")]
    assert await ChecklistCompletion.count() == 0
    done = (await api.data(COMPLETE, {"input": {**base, "note": "registry extract"}}, key=admin_key))["completeChecklistItem"]
    assert done == {
        "item": {
            "key": "company_verified",
            "done": True,
            "note": "registry extract",
            "completedBy": "api-key:catalogue admin",
            "evidenceFile": None,
        },
        "errors": [],
    }
    again = (await api.data(COMPLETE, {"input": {**base, "note": "again"}}, key=admin_key))["completeChecklistItem"]
    assert codes(again) == [("item", "ITEM_ALREADY_DONE")]


async def test_an_evidence_file_is_uploaded_with_the_item(api, admin_key, admin):
    chai = await profiles.create_partner(admin, profile())
    content = b"%PDF-1.4 signed agreement"
    data = await upload(
        api,
        COMPLETE,
        {
            "input": {
                "partnerId": str(chai.id),
                "stage": "PROFILING",
                "item": "agreement_signed",
                "note": "countersigned",
                "evidence": None,
            }
        },
        {"variables.input.evidence": ("agreement.pdf", content, "application/pdf")},
        key=admin_key,
    )
    assert data["completeChecklistItem"]["item"]["evidenceFile"] == {
        "fileName": "agreement.pdf",
        "sizeBytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    (stored,) = await EvidenceFile.select(EvidenceFile.file_name, EvidenceFile.content_type, EvidenceFile.content)
    assert (stored["file_name"], stored["content_type"], bytes(stored["content"])) == (
        "agreement.pdf",
        "application/pdf",
        content,
    )


async def test_a_stage_is_signed_off_only_when_complete(api, admin_key, admin):
    chai = await profiles.create_partner(admin, profile())
    incomplete = (await api.data(SIGN_OFF, {"input": {"partnerId": str(chai.id), "stage": "PROFILING"}}, key=admin_key))[
        "signOffStage"
    ]
    assert codes(incomplete) == [("stage", "CHECKLIST_INCOMPLETE")]
    for item in checklist.stage(checklist.PROFILING).items:
        await onboarding.complete_checklist_item(admin, chai.id, checklist.PROFILING, item.key, note="ok")
    signed = (
        await api.data(SIGN_OFF, {"input": {"partnerId": str(chai.id), "stage": "PROFILING", "note": "all good"}}, key=admin_key)
    )["signOffStage"]
    assert signed == {
        "stage": {"key": "PROFILING", "state": "SIGNED_OFF", "signedOffBy": "api-key:catalogue admin"},
        "errors": [],
    }


async def test_go_live_is_for_named_people_not_keys(api, admin_key, admin):
    chai = await profiles.create_partner(admin, profile())
    for name, field in (("requestGoLive", "request { status }"), ("approveGoLive", "partner { status }")):
        query = f"mutation G($input: GoLiveInput!) {{ {name}(input: $input) {{ {field} errors {{ field code message }} }} }}"
        payload = (await api.data(query, {"input": {"partnerId": str(chai.id)}}, key=admin_key))[name]
        assert codes(payload) == [(None, "PERSON_REQUIRED")], payload
    assert (await profiles.get_partner(admin, chai.id)).status == "onboarding"


# ---------------------------------------------------------------- the error enum


def test_every_error_code_of_the_partner_services_is_in_the_api_enum():
    import backend.core.contact_points
    import backend.core.iso_codes
    import backend.partners.checklist
    import backend.partners.services

    folder = Path(backend.partners.services.__file__).parent
    sources = [
        *folder.glob("*.py"),
        Path(backend.partners.checklist.__file__),
        Path(backend.core.contact_points.__file__),
        Path(backend.core.iso_codes.__file__),
    ]
    found = {
        node.value
        for path in sources
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[A-Z][A-Z_]{2,}", node.value)
    }
    blockers = {"ITEM_INCOMPLETE", "STAGE_NOT_SIGNED_OFF", "GO_LIVE_NOT_REQUESTED", "AWAITING_SECOND_APPROVAL"}  # not errors
    assert found >= {"SELF_APPROVAL", "STAGE_LOCKED", "INVALID_EMAIL"}  # the scan finds codes at all
    assert (found - blockers) | {"NOT_FOUND", "FORBIDDEN"} <= {code.name for code in PartnerErrorCode}
