"""Providers' status callbacks, public (no API key: each is verified by its provider's signature
before anything changes): ``POST /callbacks/deliveries/{provider_id}``, and the GET handshake Meta
makes before it sends any. The rules live in backend.deliveries.services.status_callbacks."""

from __future__ import annotations

import uuid

from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath

from backend.core.settings import get_settings
from backend.deliveries.services.status_callbacks import CallbackRefused, CallbackRequest, receive_callback, verify_subscription

PATH = "/callbacks/deliveries/{provider_id:uuid}"
MAX_BODY = 256 * 1024  # a status callback is a few hundred bytes; Meta batches a few


def _signed_url(request: Request) -> str:
    """The URL as the provider called it: behind a proxy that is the public URL, not ours."""
    query = request.url.query
    return f"{get_settings().public_url}{request.url.path}" + (f"?{query}" if query else "")


@post(PATH, summary="A provider's signed status callback", request_max_body_size=MAX_BODY)
async def delivery_status_callback(request: Request, provider_id: FromPath[uuid.UUID]) -> Response:
    callback = CallbackRequest(
        url=_signed_url(request),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=await request.body(),
    )
    try:
        result = await receive_callback(provider_id, callback)
    except CallbackRefused as refused:
        return Response({"error": str(refused)}, status_code=refused.status_code)
    return Response(
        {"applied": result.applied, "kept": result.kept, "replayed": result.replayed, "stale": result.stale}, status_code=200
    )


@get(PATH, summary="Meta's webhook verification handshake", media_type=MediaType.TEXT)
async def delivery_callback_handshake(request: Request, provider_id: FromPath[uuid.UUID]) -> Response:
    query = request.query_params
    try:
        challenge = await verify_subscription(
            provider_id, query.get("hub.mode"), query.get("hub.verify_token"), query.get("hub.challenge")
        )
    except CallbackRefused as refused:
        return Response(str(refused), status_code=refused.status_code, media_type=MediaType.TEXT)
    return Response(challenge, status_code=200, media_type=MediaType.TEXT)


ROUTES = [delivery_status_callback, delivery_callback_handshake]
