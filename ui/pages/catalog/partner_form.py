"""A partner's profile in a dialog: who they are, where they serve, what they offer, whom to call.
Creating one starts its onboarding at the first stage."""

from __future__ import annotations

from nicegui import ui

from backend.partners.services import profiles
from backend.partners.services.profiles import PartnerProfileInput
from backend.partners.views import Contact, PartnerView
from ui.components.action import perform
from ui.components.dialogs import ask
from ui.pages.catalog.words import REWARD_TYPES, SOURCES, country_options


async def edit_profile(partner: PartnerView | None = None) -> PartnerView | None:
    """The new (or the saved) partner; None when the dialog was dismissed."""
    contact = partner.contacts[0] if partner and partner.contacts else Contact(name="")
    title = f"Edit {partner.name}" if partner else "New partner"
    with ui.dialog() as dialog, ui.card().classes("q-pa-lg w-[720px] max-w-[95vw] gap-3").mark("partner-dialog"):
        ui.label(title).classes("text-h6")
        with ui.grid(columns=2).classes("w-full gap-x-4 gap-y-2"):
            name = ui.input("Name", value=partner.name if partner else "").props("outlined").mark("partner-name")
            category = (
                ui.input("Category", value=partner.category if partner else "", placeholder="e.g. dining, travel, retail")
                .props("outlined")
                .mark("partner-category")
            )
        source = ui.radio(SOURCES, value=partner.source if partner else "client_sourced").props("inline").mark("partner-source")
        countries = (
            ui.select(
                country_options(),
                label="Countries served",
                multiple=True,
                with_input=True,
                value=list(partner.countries) if partner else [],
            )
            .props("outlined use-chips options-dense")
            .classes("w-full")
            .mark("partner-countries")
        )
        reward_types = (
            ui.select(REWARD_TYPES, label="Reward types", multiple=True, value=list(partner.reward_types) if partner else [])
            .props("outlined use-chips options-dense")
            .classes("w-full")
            .mark("partner-reward-types")
        )
        audience_fit = (
            ui.textarea(
                "Audience fit",
                value=partner.audience_fit if partner else "",
                placeholder="Who the partner's offers suit, e.g. office staff, frequent travellers",
            )
            .props("outlined autogrow")
            .classes("w-full")
            .mark("partner-audience-fit")
        )
        ui.label("Main contact").classes("text-subtitle2 q-mt-sm")
        with ui.grid(columns=2).classes("w-full gap-x-4 gap-y-2"):
            contact_name = ui.input("Contact name", value=contact.name).props("outlined").mark("contact-name")
            contact_role = ui.input("Role", value=contact.role).props("outlined").mark("contact-role")
            contact_email = ui.input("Email", value=contact.email or "").props("outlined").mark("contact-email")
            contact_phone = (
                ui.input("Phone (international, e.g. +91 …)", value=contact.phone or "").props("outlined").mark("contact-phone")
            )
        fields = {
            "name": name,
            "category": category,
            "countries": countries,
            "reward_types": reward_types,
            "audience_fit": audience_fit,
            "contacts[0].name": contact_name,
            "contacts[0].email": contact_email,
            "contacts[0].phone": contact_phone,
            "contacts[0]": contact_email,
        }

        def entered() -> PartnerProfileInput:
            contacts = []
            if any((field.value or "").strip() for field in (contact_name, contact_role, contact_email, contact_phone)):
                contacts.append(
                    Contact(
                        name=contact_name.value or "",
                        role=contact_role.value or "",
                        email=contact_email.value or None,
                        phone=contact_phone.value or None,
                    )
                )
            return PartnerProfileInput(
                name=name.value or "",
                source=source.value or "",
                category=category.value or "",
                countries=list(countries.value or []),
                reward_types=list(reward_types.value or []),
                audience_fit=audience_fit.value or "",
                contacts=contacts + list(partner.contacts[1:] if partner else []),
            )

        async def save() -> None:
            data = entered()
            saved = await perform(
                (lambda actor: profiles.update_partner_profile(actor, partner.id, data))
                if partner
                else (lambda actor: profiles.create_partner(actor, data)),
                fields=fields,
                done=lambda p: (
                    f"Saved the profile of {p.name}." if partner else f"Created {p.name}: onboarding starts with profiling."
                ),
            )
            if saved is not None:
                dialog.submit(saved)

        with ui.row().classes("w-full justify-end gap-2 q-mt-sm"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button("Save" if partner else "Create partner", on_click=save).props("unelevated no-caps").mark("save-partner")
    return await ask(dialog)
