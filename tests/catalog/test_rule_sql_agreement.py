"""The SQL the rule compiles to admits exactly the recipients the Python evaluator admits, on the
database under test (SQLite json_type/json_extract, PostgreSQL json operators)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_strategies import recipients, rules

from backend.catalog.eligibility import evaluate, recipient_attributes
from backend.catalog.services.eligibility import recipient_condition
from backend.core.clock import utcnow
from backend.core.ids import new_id
from backend.recipients.tables import Recipient


async def _replace_recipients(population) -> dict:
    await Recipient.delete(force=True)
    now, attributes = utcnow(), {}
    rows = []
    for index, (hr, country, source_system) in enumerate(population):
        recipient_id = new_id()
        rows.append(
            Recipient(
                id=recipient_id,
                external_id=f"R-{index}",
                full_name=f"Person {index}",
                country=country,
                hr_attributes=hr,
                source_system=source_system,
                created_at=now,
                updated_at=now,
            )
        )
        attributes[recipient_id] = recipient_attributes(
            hr, country=country, source_system=source_system, preferred_channel="email"
        )
    await Recipient.insert(*rows)
    return attributes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(population=st.lists(recipients, min_size=1, max_size=12), sample=st.lists(rules(), min_size=1, max_size=6))
async def test_sql_and_the_evaluator_admit_the_same_recipients(db, population, sample):
    attributes = await _replace_recipients(population)
    for rule in sample:
        condition = recipient_condition(rule)
        rows = await Recipient.raw(f"SELECT id FROM recipients WHERE {condition.sql}", *condition.params)
        in_database = {row["id"] for row in rows}
        in_python = {recipient_id for recipient_id, attrs in attributes.items() if evaluate(rule, attrs)}
        assert in_database == in_python, (rule, condition)
