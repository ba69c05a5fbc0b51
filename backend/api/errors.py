"""How failures reach an integrator.

Three kinds, never mixed: a bad or missing key is HTTP 401 (see ``auth``); a refused query field
or bad argument is a GraphQL error with ``extensions.code``; a mutation the rules refuse answers
200 with typed errors in its payload, and nothing changed. Anything else is a bug: the client gets
a masked message and the log gets the traceback.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import strawberry
import structlog
from graphql import GraphQLError, VariableDefinitionNode
from strawberry.extensions import MaskErrors
from strawberry.utils.str_converters import to_camel_case

from backend.core.errors import DomainError, FieldError

log = structlog.get_logger(__name__)

BAD_USER_INPUT = "BAD_USER_INPUT"
FORBIDDEN = "FORBIDDEN"
UNAUTHENTICATED = "UNAUTHENTICATED"

UNEXPECTED_MESSAGE = "Unexpected error: it has been logged under this response's X-Request-ID."


def client_error(message: str, code: str = BAD_USER_INPUT) -> GraphQLError:
    """An error the client caused and can fix; shown as is."""
    return GraphQLError(message, extensions={"code": code})


def query_error(error: DomainError) -> GraphQLError:
    """A rule's refusal met while answering a query: FORBIDDEN stays FORBIDDEN, the rest is the client's input."""
    code = FORBIDDEN if error.code == FORBIDDEN else BAD_USER_INPUT
    return client_error("; ".join(item.message for item in error.errors), code)


@contextmanager
def query_refusals() -> Iterator[None]:
    """``with query_refusals(): ...`` in a query resolver: a DomainError becomes its GraphQL error."""
    try:
        yield
    except DomainError as error:
        raise query_error(error) from None


def is_unexpected(error: GraphQLError) -> bool:
    """Syntax, validation and limit errors carry no original error; deliberate ones are GraphQLErrors."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


_MASK = MaskErrors(should_mask_error=is_unexpected, error_message=UNEXPECTED_MESSAGE)


def parse_query_id(value, entity: str) -> uuid.UUID | None:
    """A query argument's id (None stays None); a malformed one is BAD_USER_INPUT naming the entity."""
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise client_error(f"'{value}' is not a {entity} id") from None


def client_errors(errors: list[GraphQLError]) -> list[GraphQLError]:
    """The errors as the client sees them: an unexpected one's message is replaced (Strawberry's
    MaskErrors); a variable's value that does not fit its type is BAD_USER_INPUT, as a literal's is."""
    return [_client_error(error) for error in errors]


def _client_error(error: GraphQLError) -> GraphQLError:
    if is_unexpected(error):
        return _MASK.anonymise_error(error)
    if not (error.extensions or {}).get("code") and error.nodes and isinstance(error.nodes[0], VariableDefinitionNode):
        error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
    return error


def log_errors(errors: Iterable[GraphQLError], operation_name: str | None) -> None:
    for error in errors:
        if is_unexpected(error):
            log.error("graphql.unexpected_error", operation=operation_name, path=error.path, exc_info=error.original_error)
        else:
            log.info(
                "graphql.refused", operation=operation_name, message=error.message, code=(error.extensions or {}).get("code")
            )


@strawberry.interface(description="A reason a mutation changed nothing. `field` names the input field at fault, if any.")
class UserError:
    field: str | None
    message: str


def errors_field():
    """The ``errors`` field of every mutation payload."""
    return strawberry.field(description="Empty on success. Any error means nothing changed.")


def payload_errors(error_type: type, codes: type[enum.Enum], errors: Iterable[FieldError]) -> list:
    """Domain errors as a payload's typed errors, with input field names as the client spelled them.
    ``codes`` is the domain's GraphQL enum; it needs an ``INVALID`` member for a code it lacks."""
    return [
        error_type(
            field=to_camel_case(error.field) if error.field else None, code=_code(codes, error.code), message=error.message
        )
        for error in errors
    ]


def _code(codes: type[enum.Enum], code: str) -> enum.Enum:
    try:
        return codes[code]
    except KeyError:
        # A service learnt a new code the API enum does not list yet (tests check they agree).
        log.error("graphql.unlisted_error_code", enum=codes.__name__, code=code)
        return codes["INVALID"]
