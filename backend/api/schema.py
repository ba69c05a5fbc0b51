"""The GraphQL schema: one package per domain, composed here, with the limits and caches on."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from backend.api.access.queries import AccessQueries
from backend.api.catalog.mutations import CatalogMutations
from backend.api.catalog.queries import CatalogQueries
from backend.api.catalog.types.shared import SCALARS as CATALOG_SCALARS
from backend.api.deliveries.mutations import DeliveryMutations
from backend.api.deliveries.queries import DeliveryQueries
from backend.api.errors import log_errors
from backend.api.inputs import build_inputs_once
from backend.api.insight_actions.mutations import CorrectiveActionMutations
from backend.api.insight_actions.queries import CorrectiveActionQueries
from backend.api.insights.mutations import InsightMutations
from backend.api.insights.queries import InsightQueries
from backend.api.ledger.mutations import LedgerMutations
from backend.api.ledger.queries import LedgerQueries
from backend.api.ledger.types import SCALARS as LEDGER_SCALARS
from backend.api.literal_values import VALIDATION_RULES
from backend.api.operation import operation_extensions
from backend.api.partner_reviews.mutations import PartnerReviewMutations
from backend.api.partner_reviews.queries import PartnerReviewQueries
from backend.api.partners.mutations import PartnerMutations
from backend.api.partners.queries import PartnerQueries
from backend.api.query_cost import query_cost_rule
from backend.api.recipients.mutations import RecipientMutations
from backend.api.recipients.queries import RecipientQueries
from backend.api.rewards.mutations import RewardMutations
from backend.api.rewards.queries import RewardQueries
from backend.api.tickets.actions import TicketActionMutations, TicketActionQueries
from backend.api.tickets.desk import DeskMutations, DeskQueries
from backend.api.tickets.mutations import TicketMutations
from backend.api.tickets.queries import TicketQueries
from backend.core.settings import Settings, get_settings

Query = merge_types(
    "Query",
    (
        AccessQueries,
        RecipientQueries,
        LedgerQueries,
        PartnerQueries,
        CatalogQueries,
        RewardQueries,
        DeliveryQueries,
        TicketQueries,
        TicketActionQueries,
        InsightQueries,
        PartnerReviewQueries,
        CorrectiveActionQueries,
        DeskQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        RecipientMutations,
        LedgerMutations,
        PartnerMutations,
        CatalogMutations,
        RewardMutations,
        DeliveryMutations,
        TicketMutations,
        TicketActionMutations,
        InsightMutations,
        PartnerReviewMutations,
        CorrectiveActionMutations,
        DeskMutations,
    ),
)


class ApiSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_errors(errors, execution_context.operation_name if execution_context else None)


def build_schema(settings: Settings | None = None) -> ApiSchema:
    settings = settings or get_settings()
    # The rules are built once (QueryDepthLimiter's and MaxAliasesLimiter's own validators): the
    # validation cache keys on the rule classes, and an extension made per request would bring new
    # classes and miss the cache every time.
    rules = (
        *VALIDATION_RULES,
        max_depth_rule(settings.graphql_max_depth, None, None),
        max_aliases_rule(settings.graphql_max_aliases),
        query_cost_rule(settings.graphql_max_cost),
    )
    if not settings.introspection_enabled:
        rules += (NoSchemaIntrospectionCustomRule,)
    extensions: Iterable = operation_extensions(
        max_document_chars=settings.graphql_max_document_chars, max_tokens=settings.graphql_max_tokens, rules=rules
    )
    schema = ApiSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(scalar_map={**LEDGER_SCALARS, **CATALOG_SCALARS}),
    )
    build_inputs_once(schema)
    return schema


def export_sdl() -> str:
    """The public contract as SDL; ``mirabelle schema export`` writes it to graphql/schema.graphql."""
    return build_schema().as_str() + "\n"
