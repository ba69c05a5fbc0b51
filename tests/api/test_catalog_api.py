"""The catalogue over GraphQL: scopes, filters, eligibleFor, pagination, typed errors, a voucher
file upload (GraphQL multipart request), and one query per batch through the DataLoaders."""

from __future__ import annotations

import ast
import json
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))  # the catalogue and partner steps

from catalogue_steps import TERMS, offer_input, onboard_to_live, profile, role_actor, stock_file

from backend.api.catalog.types.errors import CatalogErrorCode
from backend.catalog.services import offers, ranking, stock_import
from backend.catalog.tables import Offer, VoucherCode
from backend.core import audit
from backend.partners.services import profiles
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput

CATALOGUE_ADMIN_SCOPES = ["catalog:read", "catalog:write", "partners:write", "recipients:read"]


async def scoped_key(make_key, scopes: list[str], name: str = "catalogue admin") -> str:
    return await make_key(*scopes, name=name)


async def upload(api, query: str, variables: dict, files: dict[str, tuple[str, bytes, str]], *, key: str) -> dict:
    """A GraphQL multipart request: ``files`` maps a variable path (``variables.input.file``) to (name, bytes, type)."""
    names = {str(index): path for index, path in enumerate(files)}
    response = await api.http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps({name: [path] for name, path in names.items()}),
        },
        files={name: files[path] for name, path in names.items()},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


@pytest.fixture
async def admin_key(make_key) -> str:
    return await scoped_key(make_key, CATALOGUE_ADMIN_SCOPES)


@pytest.fixture
async def read_key(make_key) -> str:
    return await make_key("catalog:read", name="storefront")


@pytest.fixture
def checker():
    return role_actor("admin", "checker@example.com")


OFFERS = """
query Offers($first: Int!, $after: String, $filter: OfferFilterInput) {
  offers(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id title country currency category status rank available } }
  }
}"""

OFFER = """
query Offer($id: ID!) {
  offer(id: $id) {
    id title status
    partner { id name status }
    denominations { kind amounts minimum maximum step }
    expiry { kind days on }
    currentTerms { version body createdBy }
    stockLevels { denomination available allocated confirmed expired }
  }
}"""

CREATE_OFFER = """
mutation CreateOffer($input: CreateOfferInput!) {
  createOffer(input: $input) {
    offer { id title country currency category status rank denominations { kind amounts } expiry { kind days }
            eligibilityRule currentTerms { version body } }
    errors { field code message }
  }
}"""

IMPORT = """
mutation ImportVoucherCodes($input: ImportVoucherCodesInput!) {
  importVoucherCodes(input: $input) {
    report { id fileName sha256 sizeBytes rowsRead rowsImported rejected { line reason } dryRun importedBy }
    errors { field code message }
  }
}"""


def offer_fields(partner_id, **overrides) -> dict:
    return {
        "partnerId": str(partner_id),
        "title": "Chai Point e-voucher",
        "country": "IN",
        "currency": "INR",
        "category": "Dining",
        "denominations": [50000, 100000],
        "expiryDays": 365,
        "terms": TERMS,
    } | overrides


async def titles(api, key, offer_filter: dict | None = None, first: int = 50) -> list[str]:
    page = (await api.data(OFFERS, {"first": first, "filter": offer_filter}, key=key))["offers"]
    return [edge["node"]["title"] for edge in page["edges"]]


# ---------------------------------------------------------------- scopes


async def test_no_key_is_401_and_a_key_without_catalog_read_is_forbidden(api, make_key):
    response = await api.post(OFFERS, {"first": 5})
    assert response.status_code == 401
    other = await make_key("recipients:read", name="hr")
    (error,) = await api.errors(OFFERS, {"first": 5}, key=other)
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "catalog:read"}


async def test_a_read_only_key_cannot_write_and_nothing_changes(api, read_key, admin):
    partner = await profiles.create_partner(admin, profile())
    payload = (await api.data(CREATE_OFFER, {"input": offer_fields(partner.id)}, key=read_key))["createOffer"]
    assert payload["offer"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [("FORBIDDEN", None)]
    assert "catalog:write" in payload["errors"][0]["message"]
    assert await Offer.count() == 0


# ---------------------------------------------------------------- writes and typed errors


async def test_create_offer_is_a_draft_with_terms_and_is_audited_under_the_key(api, admin_key, admin):
    partner = await profiles.create_partner(admin, profile())
    payload = (
        await api.data(CREATE_OFFER, {"input": offer_fields(partner.id, country="ind", category="  Dining ")}, key=admin_key)
    )["createOffer"]
    assert payload["errors"] == []
    offer = payload["offer"]
    assert (offer["country"], offer["category"], offer["status"], offer["rank"]) == ("IN", "dining", "DRAFT", 1)
    assert offer["denominations"] == {"kind": "FIXED", "amounts": [50000, 100000]}
    assert offer["currentTerms"] == {"version": 1, "body": TERMS}
    (entry,) = (await audit.search(admin, audit.AuditFilter(entity_type="offer"))).rows
    assert (entry["action"], entry["entity_id"], entry["actor_label"]) == (
        "offer.created",
        offer["id"],
        "api-key:catalogue admin",
    )


async def test_invalid_offer_input_reports_every_field_and_writes_nothing(api, admin_key, admin):
    partner = await profiles.create_partner(admin, profile())
    bad = offer_fields(
        partner.id,
        country="Narnia",
        currency="XXY",
        denominations=None,
        expiryDays=None,
        eligibilityRule="grade >= ",
        imageUrl="http://insecure.example.com/a.png",
    )
    payload = (await api.data(CREATE_OFFER, {"input": bad}, key=admin_key))["createOffer"]
    assert payload["offer"] is None
    found = {(error["field"], error["code"]) for error in payload["errors"]}
    assert found == {
        ("country", "INVALID_COUNTRY"),
        ("currency", "INVALID_CURRENCY"),
        ("denominations", "DENOMINATIONS_REQUIRED"),
        ("expiry", "EXPIRY_REQUIRED"),
        ("eligibilityRule", "INVALID_RULE"),
        ("imageUrl", "INVALID_IMAGE_URL"),
    }
    assert await Offer.count() == 0


async def test_a_currency_without_a_minor_unit_is_refused(api, admin_key, admin):
    """As the schema's description of `currency` says: gold is an ISO 4217 code, but not one amounts are kept in."""
    partner = await profiles.create_partner(admin, profile())
    payload = (await api.data(CREATE_OFFER, {"input": offer_fields(partner.id, currency="XAU")}, key=admin_key))["createOffer"]
    assert payload["offer"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("currency", "INVALID_CURRENCY")]
    assert await Offer.count() == 0


async def test_an_amount_must_be_a_whole_number_of_minor_units(api, admin_key, admin):
    partner = await profiles.create_partner(admin, profile())
    response = await api.post(CREATE_OFFER, {"input": offer_fields(partner.id, denominations=[500.5])}, key=admin_key)
    assert "MinorUnits" in response.text or "whole number" in response.text
    assert response.json().get("errors") and await Offer.count() == 0


async def test_ids_that_are_not_ids_are_not_found_errors_on_their_field(api, admin_key):
    payload = (await api.data(CREATE_OFFER, {"input": offer_fields("42")}, key=admin_key))["createOffer"]
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("partnerId", "NOT_FOUND")]


async def test_going_live_needs_a_live_partner_and_a_status_change_is_audited(api, admin_key, admin, checker):
    partner = await profiles.create_partner(admin, profile(name="Still Onboarding"))
    draft = await offers.create_offer(admin, partner.id, offer_input(), terms=TERMS)
    change = """mutation C($input: ChangeOfferStatusInput!) { changeOfferStatus(input: $input) {
                  offer { status available } errors { field code message } } }"""
    refused = (await api.data(change, {"input": {"offerId": str(draft.id), "status": "LIVE"}}, key=admin_key))[
        "changeOfferStatus"
    ]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("status", "PARTNER_NOT_LIVE")]
    _, offer = await onboard_to_live(admin, checker)
    done = (await api.data(change, {"input": {"offerId": str(offer.id), "status": "LIVE", "reason": "launch"}}, key=admin_key))[
        "changeOfferStatus"
    ]
    assert done == {"offer": {"status": "LIVE", "available": True}, "errors": []}


async def test_revised_terms_become_current(api, admin_key, read_key, admin):
    partner = await profiles.create_partner(admin, profile())
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms=TERMS)
    revise = """mutation R($input: ReviseTermsInput!) { reviseTerms(input: $input) { terms { version body } errors { field code } } }"""
    revised = (await api.data(revise, {"input": {"offerId": str(offer.id), "terms": "Version two."}}, key=admin_key))[
        "reviseTerms"
    ]
    assert revised == {"terms": {"version": 2, "body": "Version two."}, "errors": []}
    empty = (await api.data(revise, {"input": {"offerId": str(offer.id), "terms": "  "}}, key=admin_key))["reviseTerms"]
    assert empty["errors"] == [{"field": "terms", "code": "REQUIRED"}]
    shown = (await api.data(OFFER, {"id": str(offer.id)}, key=read_key))["offer"]
    assert shown["currentTerms"] == {"version": 2, "body": "Version two.", "createdBy": "api-key:catalogue admin"}


async def test_rerank_puts_the_offers_in_the_given_order(api, admin_key, read_key, admin):
    partner = await profiles.create_partner(admin, profile())
    made = [await offers.create_offer(admin, partner.id, offer_input(title=title)) for title in ("A", "B", "C")]
    rerank = """mutation R($input: RerankOffersInput!) { rerankOffers(input: $input) { offers { title rank } errors { field code } } }"""
    order = [str(made[2].id), str(made[0].id)]  # C takes A's place; B stays where it is
    payload = (await api.data(rerank, {"input": {"offerIds": order}}, key=admin_key))["rerankOffers"]
    assert payload == {"offers": [{"title": "C", "rank": 1}, {"title": "A", "rank": 3}], "errors": []}
    assert await titles(api, read_key) == ["C", "B", "A"]
    twice = (await api.data(rerank, {"input": {"offerIds": [order[0], order[0]]}}, key=admin_key))["rerankOffers"]
    assert twice["errors"] == [{"field": "offerIds", "code": "DUPLICATE_OFFER"}]


# ---------------------------------------------------------------- reads: filters, pagination, one offer


async def test_filters_by_country_currency_category_status_and_partner(api, read_key, admin):
    chai = await profiles.create_partner(admin, profile(name="Chai Point"))
    fly = await profiles.create_partner(admin, profile(name="Fly Away", category="travel", countries=["DE"]))
    await offers.create_offer(admin, chai.id, offer_input(title="Chai IN"))
    await offers.create_offer(admin, fly.id, offer_input(title="Flight DE", country="DE", currency="EUR", category="Travel"))
    retired = await offers.create_offer(
        admin, fly.id, offer_input(title="Old flight", country="DE", currency="EUR", category="Travel")
    )
    await offers.change_offer_status(admin, retired.id, "retired")
    assert await titles(api, read_key, {"country": "deu"}) == ["Flight DE", "Old flight"]
    assert await titles(api, read_key, {"currency": "INR"}) == ["Chai IN"]
    assert await titles(api, read_key, {"category": "TRAVEL"}) == ["Flight DE", "Old flight"]
    assert await titles(api, read_key, {"status": "RETIRED"}) == ["Old flight"]
    assert await titles(api, read_key, {"partnerId": str(fly.id), "status": "DRAFT"}) == ["Flight DE"]
    (error,) = await api.errors(OFFERS, {"first": 5, "filter": {"country": "Narnia"}}, key=read_key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_pages_follow_the_catalogue_order_without_gaps_or_repeats(api, read_key, admin):
    partner = await profiles.create_partner(admin, profile())
    made = [await offers.create_offer(admin, partner.id, offer_input(title=f"Offer {n:02}")) for n in range(7)]
    await ranking.rerank_offers(admin, [made[6].id, made[0].id])  # Offer 06 first, Offer 00 last
    seen, after = [], None
    while True:
        page = (await api.data(OFFERS, {"first": 3, "after": after}, key=read_key))["offers"]
        assert page["totalCount"] == 7
        seen += [edge["node"]["title"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Offer 06", *[f"Offer {n:02}" for n in range(1, 6)], "Offer 00"]
    partners_cursor = (await api.data("{ partners(first: 1) { pageInfo { endCursor } } }", key=read_key))["partners"]["pageInfo"][
        "endCursor"
    ]
    (error,) = await api.errors(OFFERS, {"first": 3, "after": partners_cursor}, key=read_key)
    assert "not a cursor of the offers list" in error["message"]


async def test_one_offer_with_its_partner_denominations_expiry_terms_and_stock(api, read_key, admin, checker):
    partner, offer = await onboard_to_live(admin, checker, codes=3)
    shown = (await api.data(OFFER, {"id": str(offer.id)}, key=read_key))["offer"]
    assert shown["partner"] == {"id": str(partner.id), "name": "Chai Point", "status": "LIVE"}
    assert shown["denominations"] == {"kind": "FIXED", "amounts": [50000, 100000], "minimum": None, "maximum": None, "step": None}
    assert shown["expiry"] == {"kind": "DAYS_AFTER_ISSUE", "days": 365, "on": None}
    assert shown["currentTerms"]["version"] == 1
    assert shown["stockLevels"] == [{"denomination": 50000, "available": 3, "allocated": 0, "confirmed": 0, "expired": 0}]
    assert (await api.data(OFFER, {"id": "0190f3a0-0000-7000-8000-000000000000"}, key=read_key))["offer"] is None


# ---------------------------------------------------------------- eligibleFor


async def test_eligible_for_lists_the_available_offers_a_recipient_qualifies_for(api, admin_key, admin, checker, make_key):
    partner, everyone = await onboard_to_live(admin, checker)
    seniors = await offers.create_offer(
        admin, partner.id, offer_input(title="Seniors only", eligibility_rule="grade >= 5"), terms=TERMS
    )
    sales = await offers.create_offer(
        admin,
        partner.id,
        offer_input(title="Sales in India", eligibility_rule='department == "Sales" and country in [IN]'),
        terms=TERMS,
    )
    await offers.create_offer(admin, partner.id, offer_input(title="Draft, for everyone"), terms=TERMS)  # not live: never listed
    for offer in (everyone, seniors, sales):
        await offers.change_offer_status(admin, offer.id, "live")
    asha = (
        await recipients.upsert_recipient(
            admin,
            RecipientInput(
                external_id="E-1",
                full_name="Asha",
                email="asha@example.com",
                country="IN",
                hr_attributes={"department": "Sales", "grade": 3},
            ),
        )
    ).recipient
    bo = (
        await recipients.upsert_recipient(
            admin,
            RecipientInput(
                external_id="E-2",
                full_name="Bo",
                email="bo@example.com",
                country="DE",
                hr_attributes={"department": "Sales", "grade": 7},
            ),
        )
    ).recipient
    assert await titles(api, admin_key, {"eligibleFor": str(asha.id)}) == ["Chai Point e-voucher", "Sales in India"]
    assert await titles(api, admin_key, {"eligibleFor": str(bo.id)}) == ["Chai Point e-voucher", "Seniors only"]
    assert await titles(api, admin_key, {"eligibleFor": str(bo.id), "search": "senior"}) == ["Seniors only"]
    first = (await api.data(OFFERS, {"first": 1, "filter": {"eligibleFor": str(bo.id)}}, key=admin_key))["offers"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"] is True
    rest = (
        await api.data(
            OFFERS, {"first": 5, "after": first["pageInfo"]["endCursor"], "filter": {"eligibleFor": str(bo.id)}}, key=admin_key
        )
    )["offers"]
    assert [edge["node"]["title"] for edge in rest["edges"]] == ["Seniors only"] and rest["pageInfo"]["hasNextPage"] is False
    # The recipient directory is not handed out by catalog:read alone, and an unknown recipient is named.
    catalog_only = await make_key("catalog:read", name="storefront")
    (error,) = await api.errors(OFFERS, {"first": 5, "filter": {"eligibleFor": str(asha.id)}}, key=catalog_only)
    assert error["extensions"]["code"] == "FORBIDDEN"
    (error,) = await api.errors(
        OFFERS, {"first": 5, "filter": {"eligibleFor": "0190f3a0-0000-7000-8000-000000000000"}}, key=admin_key
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "does not exist" in error["message"]


# ---------------------------------------------------------------- voucher file upload


async def test_a_voucher_file_upload_imports_good_rows_and_reports_bad_ones(api, admin_key, read_key, admin):
    partner = await profiles.create_partner(admin, profile())
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms=TERMS)
    content = stock_file("CP-0001,1111,50000,", "CP-0002,,100000,2099-12-31", "CP-0003,,12345,", "CP-0001,,50000,").getvalue()
    variables = {"input": {"offerId": str(offer.id), "file": None}}
    data = await upload(api, IMPORT, variables, {"variables.input.file": ("stock.csv", content, "text/csv")}, key=admin_key)
    payload = data["importVoucherCodes"]
    assert payload["errors"] == []
    report = payload["report"]
    assert (report["fileName"], report["rowsRead"], report["rowsImported"], report["dryRun"]) == ("stock.csv", 4, 2, False)
    assert report["sizeBytes"] == len(content) and report["importedBy"] == "api-key:catalogue admin"
    assert [row["line"] for row in report["rejected"]] == [4, 5]
    assert (
        "₹123.45 is not a denomination of this offer (₹500.00, ₹1,000.00)" in report["rejected"][0]["reason"]
        and "duplicate" in report["rejected"][1]["reason"]
    )
    assert await VoucherCode.count() == 2
    levels = (await api.data(OFFER, {"id": str(offer.id)}, key=read_key))["offer"]["stockLevels"]
    assert [(level["denomination"], level["available"]) for level in levels] == [(50000, 1), (100000, 1)]


async def test_a_bad_file_imports_nothing_and_a_dry_run_writes_nothing(api, admin_key, admin):
    partner = await profiles.create_partner(admin, profile())
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms=TERMS)
    wrong = stock_file("CP-1,50000", header="voucher,amount").getvalue()
    data = await upload(
        api,
        IMPORT,
        {"input": {"offerId": str(offer.id), "file": None}},
        {"variables.input.file": ("stock.csv", wrong, "text/csv")},
        key=admin_key,
    )
    assert data["importVoucherCodes"]["report"] is None
    assert [(e["field"], e["code"]) for e in data["importVoucherCodes"]["errors"]] == [("file", "WRONG_HEADER")]
    good = stock_file("CP-1,,50000,").getvalue()
    dry = await upload(
        api,
        IMPORT,
        {"input": {"offerId": str(offer.id), "file": None, "dryRun": True}},
        {"variables.input.file": ("stock.csv", good, "text/csv")},
        key=admin_key,
    )
    assert dry["importVoucherCodes"]["report"]["rowsImported"] == 1 and dry["importVoucherCodes"]["report"]["id"] is None
    assert await VoucherCode.count() == 0


async def test_a_file_sent_as_json_is_a_typed_error(api, admin_key, admin):
    partner = await profiles.create_partner(admin, profile())
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms=TERMS)
    payload = (
        await api.data(IMPORT, {"input": {"offerId": str(offer.id), "file": "code,denomination\nX,50000"}}, key=admin_key)
    )["importVoucherCodes"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("file", "INVALID")]
    assert "multipart" in payload["errors"][0]["message"]


# ---------------------------------------------------------------- DataLoaders


async def test_a_page_of_offers_reads_partners_terms_and_stock_in_one_query_each(api, read_key, admin, db, capfd):
    for name in ("Chai Point", "Fly Away"):
        partner = await profiles.create_partner(admin, profile(name=name))
        for n in range(2):
            offer = await offers.create_offer(admin, partner.id, offer_input(title=f"{name} {n}"), terms=TERMS)
            await stock_import.import_voucher_codes(admin, offer.id, stock_file(f"{name[:3]}-{n},,50000,"), "stock.csv")
    query = (
        "{ offers(first: 10) { edges { node { title partner { name } currentTerms { version } stockLevels { available } } } } }"
    )
    capfd.readouterr()
    db.engine.log_queries = True
    try:
        data = await api.data(query, key=read_key)
    finally:
        db.engine.log_queries = False
    nodes = [edge["node"] for edge in data["offers"]["edges"]]
    assert [node["partner"]["name"] for node in nodes] == ["Chai Point", "Chai Point", "Fly Away", "Fly Away"]
    assert all(node["currentTerms"] == {"version": 1} and node["stockLevels"] == [{"available": 1}] for node in nodes)
    queries = capfd.readouterr().out  # Piccolo prints each query; a raw one may span lines

    def reads(table: str) -> list[str]:
        return re.findall(rf'FROM "?{table}"?\b', queries)

    assert len(reads("partners")) == 1, reads("partners")
    assert len(reads("offer_terms_versions")) == 1, reads("offer_terms_versions")
    assert len(reads("voucher_codes")) == 1, reads("voucher_codes")


# ---------------------------------------------------------------- the error enum


def test_every_error_code_of_the_catalogue_services_is_in_the_api_enum():
    import backend.catalog.eligibility.errors
    import backend.catalog.services
    import backend.core.iso_codes

    folder = Path(backend.catalog.services.__file__).parent
    sources = [*folder.glob("*.py"), Path(backend.catalog.eligibility.errors.__file__), Path(backend.core.iso_codes.__file__)]
    codes = {
        node.value
        for path in sources
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[A-Z][A-Z_]{2,}", node.value)
    }
    assert codes >= {"INVALID_RULE", "OUT_OF_STOCK", "TERMS_REQUIRED"}  # the scan finds codes at all
    assert codes | {"NOT_FOUND", "FORBIDDEN"} <= {code.name for code in CatalogErrorCode}
