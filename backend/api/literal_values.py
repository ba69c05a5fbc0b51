"""Values written into the query text (``amount: 1.5``) are checked like values sent as variables:
a wrong one is the caller's mistake, a BAD_USER_INPUT naming the argument or input field.

graphql-core's own rule (ValuesOfCorrectTypeRule) reports a scalar that refuses a literal with the
scalar's exception as the error's original error, which reads as a server failure (masked for the
client, logged with a traceback), and it drops the path of the field at fault. This rule takes its
place with the same checks.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLInputType, ValueNode, specified_rules
from graphql.language import SKIP, ArgumentNode, VariableDefinitionNode, VisitorAction
from graphql.utilities import validate_input_literal
from graphql.validation import ValuesOfCorrectTypeRule

from backend.api.errors import BAD_USER_INPUT


class NamedLiteralValues(ValuesOfCorrectTypeRule):
    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.owner = ""  # the argument (or variable, for a default value) whose value is being checked

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.owner = node.name.value

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> None:
        self.owner = f"${node.variable.name.value}"

    def is_valid_value_node(self, node: ValueNode, input_type: GraphQLInputType | None) -> VisitorAction:
        if input_type:

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                field = ".".join([self.owner, *(str(part) for part in path)]) if self.owner else ".".join(map(str, path))
                self.report_error(
                    GraphQLError(
                        f"invalid value for '{field}': {error.message}",
                        error.nodes,
                        extensions={"code": BAD_USER_INPUT, "field": field},
                    )
                )

            validate_input_literal(node, input_type, on_error, None, None, self.context.hide_suggestions)
        return SKIP


# graphql-core's specified rules with ours in place of ValuesOfCorrectTypeRule, in the same position.
VALIDATION_RULES = tuple(NamedLiteralValues if rule is ValuesOfCorrectTypeRule else rule for rule in specified_rules)
