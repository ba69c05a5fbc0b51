"""Files sent to the API: GraphQL multipart requests (the `Upload` scalar).

Strawberry puts each file part where the request's ``map`` says; under Litestar that is a
``litestar.datastructures.UploadFile`` whose ``file`` is a spooled temporary file (kept in memory
up to 1 MB, on disk beyond), so a service can stream it as a ``BinaryIO``.

Each kind of file has its bound where it is read (a reward file: ``parsing.MAX_FILE_BYTES``; a
voucher file, an HR export, evidence: theirs). The whole request body is bounded too, by Litestar
(``REQUEST_MAX_BODY_BYTES``, set on the GraphQL controller): the largest of those bounds plus room
for the rest of a multipart request, so every file within its own bound arrives, and one just over
it gets its service's typed error (FILE_TOO_LARGE in the payload). A body past even that is not
read on: it is answered 413 with the same code and message as a GraphQL error
(``file_too_large_response``), not Litestar's bare 413.

An `Upload` variable sent in a JSON body arrives as whatever JSON held (a string, say): that is
the client's mistake, reported as a payload error on the input field, not a crash.

Multipart requests are a known CSRF vector for cookie-authenticated APIs; this one authenticates
with an ``Authorization: Bearer`` header only, which a cross-site form cannot send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE

from backend.catalog.services.stock_import import MAX_FILE_BYTES as MAX_VOUCHER_FILE_BYTES
from backend.core.csv_import import megabytes
from backend.core.errors import DomainError
from backend.partners.services.onboarding import MAX_EVIDENCE_BYTES
from backend.recipients.hr_sync.csv_rows import MAX_CSV_BYTES as MAX_HR_FILE_BYTES
from backend.rewards.uploads.services.parsing import MAX_FILE_BYTES as MAX_REWARD_FILE_BYTES

NOT_A_FILE = "INVALID"
FILE_TOO_LARGE = "FILE_TOO_LARGE"
MAX_FILE_BYTES = max(MAX_REWARD_FILE_BYTES, MAX_VOUCHER_FILE_BYTES, MAX_HR_FILE_BYTES, MAX_EVIDENCE_BYTES)
# The operations and map parts, part headers and boundaries around the file: a few KB in practice.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024
REQUEST_MAX_BODY_BYTES = MAX_FILE_BYTES + MULTIPART_OVERHEAD_BYTES


def file_too_large_response(request: Request, error: Exception) -> Response:
    """A body past ``REQUEST_MAX_BODY_BYTES``, as a GraphQL error with the parser's code and message
    (the request cannot be read, so there is no operation to put a payload error in)."""
    return Response(
        {
            "data": None,
            "errors": [
                {
                    "message": f"the file is larger than {megabytes(MAX_FILE_BYTES)}: split it into smaller files",
                    "extensions": {"code": FILE_TOO_LARGE, "field": "file", "maxBytes": MAX_FILE_BYTES},
                }
            ],
        },
        status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


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
