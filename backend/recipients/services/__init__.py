"""Recipient and programme use cases. The only writer of these tables.

Some hundred modules (console pages, API resolvers, other domains' services, tests) use these as
``recipients.<name>``: the package gathers the public names so they keep one import."""

from backend.recipients.services.programmes import (
    count_programmes,
    create_programme,
    get_programme,
    list_programmes,
    programmes_after,
)
from backend.recipients.services.recipients import (
    create_recipient,
    get_recipient,
    recipient_id_by_external_id,
    recipient_rows_by_external_id,
    recipients_by_ids,
    upsert_recipient,
)
from backend.recipients.services.search import (
    RECIPIENT_SORT_KEYS,
    RecipientFilter,
    attribute_names,
    check_filter,
    count_recipients,
    distinct_countries,
    distinct_source_systems,
    recipients_after,
    search_recipients,
)
from backend.recipients.services.validation import (
    CHANNELS,
    MAX_EXTERNAL_ID,
    MAX_FULL_NAME,
    MAX_HR_ATTRIBUTES,
    MAX_PROGRAMME_NAME,
    normalise_country,
    normalise_currency,
    normalise_email,
    normalise_phone,
    parse_point_value,
    validate_recipient,
)
from backend.recipients.services.views import (
    ProgrammeView,
    RecipientInput,
    RecipientView,
    UpsertResult,
    audit_recipient,
    programme_view,
    recipient_view,
)

__all__ = [
    "CHANNELS",
    "MAX_EXTERNAL_ID",
    "MAX_FULL_NAME",
    "MAX_HR_ATTRIBUTES",
    "MAX_PROGRAMME_NAME",
    "ProgrammeView",
    "RECIPIENT_SORT_KEYS",
    "RecipientFilter",
    "RecipientInput",
    "RecipientView",
    "UpsertResult",
    "attribute_names",
    "audit_recipient",
    "check_filter",
    "count_programmes",
    "count_recipients",
    "create_programme",
    "create_recipient",
    "distinct_countries",
    "distinct_source_systems",
    "get_programme",
    "get_recipient",
    "list_programmes",
    "normalise_country",
    "normalise_currency",
    "normalise_email",
    "normalise_phone",
    "parse_point_value",
    "programme_view",
    "programmes_after",
    "recipient_id_by_external_id",
    "recipient_rows_by_external_id",
    "recipient_view",
    "recipients_after",
    "recipients_by_ids",
    "search_recipients",
    "upsert_recipient",
    "validate_recipient",
]
