"""What the api does around every GraphQL operation, as Strawberry extensions.

Strawberry's own do the standard steps: ``MaxTokensLimiter`` (the parser stops after so many
tokens), ``ParserCache`` and ``ValidationCache`` (a document sent again is neither parsed nor
validated again: validation is half the CPU of a small request without them). Ours,
``OperationOutcome``, does what none of them does: it refuses a query text over the size limit
before anything reads it (one string literal is one token, so the token limit does not bound the
parser's work: 9.5 MB of literal took 3 s of the event loop), sets the validation rules (the
limits, the query cost, named literal values), shows the client its errors (unexpected ones
masked, bad input marked BAD_USER_INPUT) and counts the operation for the metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql import ASTValidationRule, ExecutionResult, GraphQLError
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension, ValidationCache
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from backend.api.errors import client_errors
from backend.api.metrics import count_operation

CACHED_DOCUMENTS = 256  # distinct query texts kept parsed and validated (integrations send a few)
QUERY_TOO_LARGE = "QUERY_TOO_LARGE"


class OperationOutcome(SchemaExtension):
    def __init__(self, max_document_chars: int, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.max_document_chars, self.rules = max_document_chars, rules
        self.executed = False

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        # The rule classes are made once: the validation cache keys on them.
        context.validation_rules = self.rules
        try:
            yield
            result = context.result
            if isinstance(result, ExecutionResult | StrawberryExecutionResult) and result.errors:
                result.errors = client_errors(result.errors)
        finally:
            count_operation(context, self.executed)

    def on_parse(self) -> Iterator[None]:
        # Before the parser cache (extensions run in order), which would hash and parse the text.
        query = self.execution_context.query
        if query is not None and len(query) > self.max_document_chars:
            raise GraphQLError(
                f"the query text has {len(query):,} characters, over the limit of {self.max_document_chars:,}: "
                "send values as variables, not in the query text",
                extensions={"code": QUERY_TOO_LARGE, "limit": self.max_document_chars},
            )
        yield

    def on_execute(self) -> Iterator[None]:
        self.executed = True
        yield


def operation_extensions(
    *, max_document_chars: int, max_tokens: int, rules: tuple[type[ASTValidationRule], ...]
) -> list[Callable[[], SchemaExtension]]:
    """The schema's extensions, as factories (Strawberry makes a set per request), in the order they must run."""
    return [
        lambda: OperationOutcome(max_document_chars, rules),
        lambda: MaxTokensLimiter(max_tokens),
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
    ]
