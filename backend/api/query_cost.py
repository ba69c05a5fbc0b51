"""A query's cost, counted before it runs, against a budget (``MIRABELLE_GRAPHQL_MAX_COST``).

Every field selection costs 1, and a field that runs a database query of its own — a list
(a ``…Connection``) or a count (``totalCount``) — costs ``QUERY_FIELD_COST``. Repeats count each
time, aliased or not, and a fragment counts wherever it is spread. Depth, aliases and tokens have
limits of their own; this counts the work that stays within them (450 ``totalCount`` in one
query took 1.5 s of the event loop).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)

QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
QUERY_FIELD_COST = 10
COUNT_FIELD = "totalCount"


def query_cost_rule(budget: int) -> type[ValidationRule]:
    """The validation rule for ``budget``: made once, so that the validation cache keeps hitting."""

    class QueryCost(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            counter = _Counter(context, fragments)
            for operation in document.definitions:
                if isinstance(operation, OperationDefinitionNode):
                    cost = counter.operation(operation)
                    if cost > budget:
                        name = f"'{operation.name.value}' " if operation.name else ""
                        context.report_error(
                            GraphQLError(
                                f"the query {name}costs {cost}, over the budget of {budget}: every field counts 1, "
                                f"a list or a count {QUERY_FIELD_COST}, repeats and aliases included; "
                                "split it into smaller queries",
                                operation,
                                extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "budget": budget},
                            )
                        )

    return QueryCost


class _Counter:
    def __init__(self, context: ValidationContext, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = context.schema
        self.fragments = fragments
        self.fragment_costs: dict[str, int] = {}  # each fragment is counted once, however often it is spread
        self.counting: set[str] = set()  # fragments being counted: a cycle (another rule reports it) stops here

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[operation.operation]
        return self.selections(operation.selection_set, root)

    def selections(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        if selection_set is None:
            return 0
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                cost += self.selections(selection.selection_set, self._type(condition.name.value) if condition else parent)
            elif isinstance(selection, FragmentSpreadNode):
                cost += self.fragment(selection.name.value)
        return cost

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        name = node.name.value
        definition = parent.fields.get(name) if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else None
        field_type = get_named_type(definition.type) if definition is not None else None
        runs_a_query = name == COUNT_FIELD or (field_type is not None and field_type.name.endswith("Connection"))
        return (QUERY_FIELD_COST if runs_a_query else 1) + self.selections(node.selection_set, field_type)

    def fragment(self, name: str) -> int:
        if name in self.fragment_costs:
            return self.fragment_costs[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.counting:
            return 0
        self.counting.add(name)
        cost = self.selections(fragment.selection_set, self._type(fragment.type_condition.name.value))
        self.counting.discard(name)
        self.fragment_costs[name] = cost
        return cost

    def _type(self, name: str) -> Any:
        return self.schema.get_type(name)
