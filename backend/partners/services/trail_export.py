"""The onboarding trail for compliance review: a CSV of every item, sign-off and go-live decision,
and the evidence files it cites (as a list, or bundled with the CSV in a zip).

Cells are escaped against formula injection by ``backend.core.csv_export``.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile

from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.csv_export import csv_text
from backend.core.db import write_transaction
from backend.partners import checklist
from backend.partners.services.go_live import go_live_requests
from backend.partners.services.onboarding import OnboardingState, evidence_file_content, load_state
from backend.partners.views import EvidenceFileView, OnboardingTrailExport

TRAIL_HEADER = (
    "partner",
    "stage",
    "step",
    "status",
    "at",
    "by",
    "note",
    "evidence_file",
    "evidence_sha256",
    "evidence_size_bytes",
)
EVIDENCE_HEADER = ("file_name", "sha256", "size_bytes", "content_type", "uploaded_by", "uploaded_at", "path_in_bundle")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "partner"


def bundle_path(evidence: EvidenceFileView) -> str:
    """Where a file sits in the zip: its digest prefix keeps two files of one name apart."""
    return f"evidence/{evidence.sha256[:12]}-{evidence.file_name}"


def _trail_rows(state: OnboardingState, requests) -> list[tuple]:
    name = state.partner.name
    rows = []
    for stage in checklist.STAGES:
        view = state.stage_view(stage)
        for item in view.items:
            file = item.evidence_file
            rows.append(
                (
                    name,
                    stage.label,
                    item.label,
                    "done" if item.done else "open",
                    item.completed_at,
                    item.completed_by_label,
                    item.note,
                    file.file_name if file else None,
                    file.sha256 if file else None,
                    file.size_bytes if file else None,
                )
            )
        rows.append(
            (
                name,
                stage.label,
                "stage sign-off",
                view.state,
                view.signed_off_at,
                view.signed_off_by_label,
                view.sign_off_note,
                None,
                None,
                None,
            )
        )
    for request in requests:
        rows.append(
            (
                name,
                "Go-live",
                "go-live requested",
                "requested",
                request.requested_at,
                request.requested_by_label,
                request.note,
                None,
                None,
                None,
            )
        )
        if request.decided_at is not None:
            rows.append(
                (
                    name,
                    "Go-live",
                    "go-live decision",
                    request.status,
                    request.decided_at,
                    request.decided_by_label,
                    request.decision_note,
                    None,
                    None,
                    None,
                )
            )
    return rows


async def export_onboarding_trail(actor: Actor, partner_id: uuid.UUID) -> OnboardingTrailExport:
    """The trail as CSV (one row per checklist item, stage sign-off and go-live step, in workflow
    order) and the list of evidence files. The export itself is recorded in the audit log."""
    actor.require(Permission.CATALOG_READ)
    state = await load_state(partner_id)
    requests = await go_live_requests(actor, partner_id)
    export = OnboardingTrailExport(
        file_name=f"onboarding-trail-{_slug(state.partner.name)}-{utcnow():%Y%m%d}.csv",
        csv_text=csv_text(TRAIL_HEADER, _trail_rows(state, requests)),
        evidence=tuple(sorted(state.evidence.values(), key=lambda file: file.id)),
    )
    async with write_transaction():
        await audit.record(
            actor,
            "partner.onboarding_exported",
            "partner",
            partner_id,
            after={"file_name": export.file_name, "evidence_files": len(export.evidence)},
        )
    return export


async def export_onboarding_bundle(actor: Actor, partner_id: uuid.UUID) -> tuple[str, bytes]:
    """A zip for the reviewer: ``onboarding-trail.csv``, ``evidence.csv`` and every evidence file
    under ``evidence/``. Returns (file name, zip bytes)."""
    export = await export_onboarding_trail(actor, partner_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("onboarding-trail.csv", export.csv_text)
        bundle.writestr(
            "evidence.csv",
            csv_text(
                EVIDENCE_HEADER,
                [
                    (
                        file.file_name,
                        file.sha256,
                        file.size_bytes,
                        file.content_type,
                        file.uploaded_by_label,
                        file.uploaded_at,
                        bundle_path(file),
                    )
                    for file in export.evidence
                ],
            ),
        )
        for file in export.evidence:
            _, content = await evidence_file_content(actor, file.id)
            bundle.writestr(bundle_path(file), content)
    return export.file_name.removesuffix(".csv") + ".zip", buffer.getvalue()
