"""The console's rewards pages: Campaigns (list, editor with governance and live counters), Uploads
(bulk reward files: upload, review, fix, dry run, approval with progress) and Issuance approvals
(the queue of rewards waiting for a second person)."""

from __future__ import annotations

from ui import navigation
from ui.auth import console_page


def register() -> None:
    # The pages are imported here, not at the top: importing one of this package's modules (its
    # words, a url) from another package must not pull in every page, which import each other.
    from ui.pages.rewards.campaign_editor import NEW_CAMPAIGN, campaign_page, new_campaign_page
    from ui.pages.rewards.campaigns_list import campaigns_page
    from ui.pages.rewards.issuance_approvals import issuance_approvals_page
    from ui.pages.rewards.upload_review import upload_page
    from ui.pages.rewards.uploads_list import uploads_page

    console_page(navigation.CAMPAIGNS)(campaigns_page)
    # "new" before "{campaign_id}": the first route that matches wins
    console_page(NEW_CAMPAIGN)(new_campaign_page)
    console_page(navigation.CAMPAIGNS, path=f"{navigation.CAMPAIGNS.path}/{{campaign_id}}")(campaign_page)
    console_page(navigation.ISSUANCE_APPROVALS)(issuance_approvals_page)
    console_page(navigation.UPLOADS)(uploads_page)
    console_page(navigation.UPLOADS, path=f"{navigation.UPLOADS.path}/{{upload_id}}")(upload_page)
