"""Catalogue mutations: parse the input, call the catalogue services, render the result or the
refusal (the payload's ``errors``; nothing changed)."""

from __future__ import annotations

import strawberry

from backend.api.catalog.types.offer import (
    ChangeOfferStatusInput,
    CreateOfferInput,
    Offer,
    OfferPayload,
    RerankOffersInput,
    RerankOffersPayload,
    UpdateOfferInput,
)
from backend.api.catalog.types.stock import ImportVoucherCodesInput, VoucherImport, VoucherImportPayload
from backend.api.catalog.types.terms import ReviseTermsInput, TermsPayload, TermsVersion
from backend.api.partners.ids import entity_id
from backend.api.partners.mutations import answer
from backend.api.permissions import requires
from backend.api.uploads import uploaded_file
from backend.catalog.services import offers, ranking, stock_import, terms
from backend.core.authz import Permission


@strawberry.type
class CatalogMutations:
    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=OfferPayload.refused),
        description="Create a DRAFT offer of a partner at the end of the catalogue; `terms` become version 1. "
        "Every invalid field is reported at once.",
    )
    async def create_offer(self, info: strawberry.Info, input: CreateOfferInput) -> OfferPayload:
        async def create() -> OfferPayload:
            partner_id = entity_id(input.partner_id, "partner", "partner_id")
            view = await offers.create_offer(info.context.actor, partner_id, input.to_domain(), terms=input.terms or "")
            return OfferPayload(offer=Offer.from_view(view), errors=[])

        return await answer(OfferPayload.refused, create)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=OfferPayload.refused),
        description="Replace an offer's details. A retired offer is frozen (OFFER_RETIRED).",
    )
    async def update_offer(self, info: strawberry.Info, input: UpdateOfferInput) -> OfferPayload:
        async def update() -> OfferPayload:
            offer_id = entity_id(input.offer_id, "offer", "offer_id")
            return OfferPayload(
                offer=Offer.from_view(await offers.update_offer(info.context.actor, offer_id, input.to_domain())), errors=[]
            )

        return await answer(OfferPayload.refused, update)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=OfferPayload.refused),
        description="Move an offer along DRAFT → LIVE ⇄ PAUSED → RETIRED. Going live needs terms (TERMS_REQUIRED) and a "
        "live partner (PARTNER_NOT_LIVE).",
    )
    async def change_offer_status(self, info: strawberry.Info, input: ChangeOfferStatusInput) -> OfferPayload:
        async def change() -> OfferPayload:
            offer_id = entity_id(input.offer_id, "offer", "offer_id")
            view = await offers.change_offer_status(info.context.actor, offer_id, input.status.value, input.reason or "")
            return OfferPayload(offer=Offer.from_view(view), errors=[])

        return await answer(OfferPayload.refused, change)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=TermsPayload.refused),
        description="Add a version of an offer's terms and make it current. The same text as the current version adds nothing.",
    )
    async def revise_terms(self, info: strawberry.Info, input: ReviseTermsInput) -> TermsPayload:
        async def revise() -> TermsPayload:
            offer_id = entity_id(input.offer_id, "offer", "offer_id")
            return TermsPayload(
                terms=TermsVersion.from_view(await terms.revise_terms(info.context.actor, offer_id, input.terms)), errors=[]
            )

        return await answer(TermsPayload.refused, revise)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=RerankOffersPayload.refused),
        description="Put these offers in this order, in the places they hold now (the whole catalogue or a filtered part of "
        "it); every other offer keeps its place. Ranks stay 1..N without ties.",
    )
    async def rerank_offers(self, info: strawberry.Info, input: RerankOffersInput) -> RerankOffersPayload:
        async def rerank() -> RerankOffersPayload:
            offer_ids = [entity_id(offer_id, "offer", "offer_ids") for offer_id in input.offer_ids]
            views = await ranking.rerank_offers(info.context.actor, offer_ids)
            return RerankOffersPayload(offers=[Offer.from_view(view) for view in views], errors=[])

        return await answer(RerankOffersPayload.refused, rerank)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=VoucherImportPayload.refused),
        description="Import voucher codes from a CSV file sent as a multipart upload (`code, pin, denomination, expiry`). "
        "Bad rows are reported with their line and reason and the good ones imported; a bad file (WRONG_HEADER, "
        "MALFORMED_CSV, …) imports nothing. Codes are stored encrypted and shown masked.",
    )
    async def import_voucher_codes(self, info: strawberry.Info, input: ImportVoucherCodesInput) -> VoucherImportPayload:
        async def import_codes() -> VoucherImportPayload:
            offer_id = entity_id(input.offer_id, "offer", "offer_id")
            file = uploaded_file(input.file, "file")
            report = await stock_import.import_voucher_codes(
                info.context.actor, offer_id, file.stream, file.name, dry_run=input.dry_run
            )
            return VoucherImportPayload(report=VoucherImport.from_view(report), errors=[])

        return await answer(VoucherImportPayload.refused, import_codes)
