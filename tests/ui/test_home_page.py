"""Home: counts of what the signed-in person may see."""

from __future__ import annotations

from nicegui.testing import User

from backend.access import services as access
from backend.core import audit
from backend.core.audit import AuditFilter
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput


async def test_home_counts_what_there_is(admin, console: User, patience) -> None:
    await recipients.upsert_recipient(admin, RecipientInput(external_id="A", full_name="Amal", email="amal@example.com"))
    await recipients.create_programme(admin, "Stars", "EUR", "0.01")
    await access.create_api_key(admin, "One", ["reports:read"])
    await access.create_api_key(admin, "Two", ["reports:read"])
    await access.revoke_api_key(admin, (await access.list_api_keys(admin)).rows[0].id)
    await console.open("/")
    await console.should_see(marker="tally-audit", retries=patience)  # the inbox above is read first
    for marker, count in (("tally-recipients", "1"), ("tally-programmes", "1"), ("tally-users", "1"), ("tally-api-keys", "1")):
        with console.scope(marker=marker):
            await console.should_see(count)
    entries = (await audit.search(admin, AuditFilter())).total  # all of them were written just now
    with console.scope(marker="tally-audit"):
        await console.should_see("Audit entries, last 24 h")
        await console.should_see(str(entries))


async def test_home_shows_a_viewer_only_their_counts(admin, user: User, sign_in, create_person, patience) -> None:
    await create_person("vera@example.com", ["viewer"])
    await sign_in("vera@example.com", "a long enough password")
    await user.should_see(marker="tally-recipients", retries=patience)
    await user.should_not_see(marker="tally-users")
    await user.should_not_see(marker="tally-api-keys")
    await user.should_not_see(marker="tally-audit")
