"""Files sent to the API: GraphQL multipart requests (the `Upload` scalar).

Strawberry puts each file part where the request's ``map`` says; under Litestar that is a
``litestar.datastructures.UploadFile`` whose ``file`` is a spooled temporary file (kept in memory
up to 1 MB, on disk beyond), so a service can stream it as a ``BinaryIO``. Litestar bounds the
whole request body (``request_max_body_size``, 10 MB by default).

An `Upload` variable sent in a JSON body arrives as whatever JSON held (a string, say): that is
the client's mistake, reported as a payload error on the input field, not a crash.

Multipart requests are a known CSRF vector for cookie-authenticated APIs; this one authenticates
with an ``Authorization: Bearer`` header only, which a cross-site form cannot send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from litestar.datastructures import UploadFile

from backend.core.errors import DomainError

NOT_A_FILE = "INVALID"


@dataclass(frozen=True)
class UploadedFile:
    name: str
    content_type: str
    stream: BinaryIO

    def read(self, limit: int) -> bytes:
        """At most ``limit`` bytes: enough for the service to tell a file that is too large."""
        return self.stream.read(limit)


def uploaded_file(value: object, field: str) -> UploadedFile:
    """The file of an `Upload` argument, or a DomainError naming ``field`` (an input field, as spelt by clients)."""
    if not isinstance(value, UploadFile):
        raise DomainError.single(
            NOT_A_FILE,
            "send the file as a multipart request (GraphQL multipart request spec): this value is not a file",
            field=field,
        )
    return UploadedFile(
        name=value.filename or "upload", content_type=value.content_type or "application/octet-stream", stream=value.file
    )
