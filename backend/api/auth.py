"""API-key authentication: ``Authorization: Bearer <key>`` on every GraphQL request, 401 otherwise."""

from __future__ import annotations

import unicodedata

import structlog
from litestar import Request, Response
from litestar.connection import ASGIConnection

from backend.access.services.api_keys import ApiKeyRejected, authenticate_api_key
from backend.api.errors import UNAUTHENTICATED
from backend.api.request_tracing import CALLER
from backend.core.authz import Actor

log = structlog.get_logger(__name__)

REALM = "mirabelle"


async def authenticate(request: ASGIConnection) -> Actor:
    header = request.headers.get("authorization")
    if header is None:
        return await authenticate_api_key(None)  # raises with the service's "missing" message
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise ApiKeyRejected(f"unsupported Authorization scheme '{scheme[:20]}': send 'Authorization: Bearer <key>'")
    actor = await authenticate_api_key(key.strip())
    request.state[CALLER] = actor.label  # for the access log line
    return actor


def rejected_key_response(request: Request, error: ApiKeyRejected) -> Response:
    """The 401 body mirrors a GraphQL error so clients parse one shape; the header follows RFC 6750."""
    message = str(error)
    log.info("api.key_rejected", reason=message)
    challenge = f'Bearer realm="{REALM}"'
    if request.headers.get("authorization") is not None:  # no error code when no credentials were sent
        challenge += f', error="invalid_token", error_description="{_header_safe(message)}"'
    return Response(
        {"errors": [{"message": message, "extensions": {"code": UNAUTHENTICATED}}]},
        status_code=401,
        headers={"WWW-Authenticate": challenge},
    )


def _header_safe(text: str) -> str:
    """RFC 6750 allows printable ASCII without quote or backslash in error_description ("…" becomes "...")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ascii_text.replace('"', "'").replace("\\", "/")
