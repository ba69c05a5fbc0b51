"""What the api does around every GraphQL operation, as one Strawberry extension: the document's
limits (tokens, depth, aliases), the parse and validation caches, the masking of unexpected errors
and the operations metric.

One extension, not six (Strawberry's MaxTokensLimiter, ParserCache, AddValidationRules,
ValidationCache, MaskErrors and ours): Strawberry makes an extension object per request and wraps
each of its hooks, per extension, at each stage of the operation; with six that was ≈ 9 % of a
points mutation's CPU (profiled). The steps are those extensions' own, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graphql import ASTValidationRule, ExecutionResult
from graphql.language.parser import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from backend.api.errors import mask_unexpected
from backend.api.metrics import count_operation

CACHED_DOCUMENTS = 256  # distinct query texts kept parsed and validated (integrations send a few)

_parse = lru_cache(maxsize=CACHED_DOCUMENTS)(parse)
_validate = lru_cache(maxsize=CACHED_DOCUMENTS)(validate_document)


class OperationRules(SchemaExtension):
    def __init__(self, max_tokens: int, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.max_tokens, self.rules = max_tokens, rules
        self.executed = False

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        try:
            yield
            result = context.result
            if isinstance(result, ExecutionResult | StrawberryExecutionResult) and result.errors:
                result.errors = mask_unexpected(result.errors)
        finally:
            count_operation(context, self.executed)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _validate(context.schema._schema, context.graphql_document, context.validation_rules)
        yield

    def on_execute(self) -> Iterator[None]:
        self.executed = True
        yield
