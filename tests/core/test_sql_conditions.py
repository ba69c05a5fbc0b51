"""``sql.Conditions``: a WHERE clause of fixed texts with every value bound, and an IN list whose
values are bound one by one; run against the database, it finds exactly the rows asked for."""

from __future__ import annotations

from backend.core import outbox, sql
from backend.core.db import write_transaction


def test_the_clause_is_rendered_with_numbered_placeholders_and_the_values_in_order():
    conditions = sql.Conditions()
    assert conditions.where() == "" and conditions.args == []
    conditions.add("topic = ?", "a")
    conditions.when("status = ?", None)  # no value: no clause
    conditions.in_list("id", [10, 20])
    limit = conditions.bind(5)
    assert conditions.where() == " WHERE topic = $1 AND id IN ($2, $3)"
    assert (limit, conditions.args) == ("$4", ["a", 10, 20, 5])


def test_the_statement_joins_constant_texts_and_binds_its_limit_after_the_clauses():
    conditions = sql.Conditions()
    assert conditions.statement("SELECT id FROM t") == "SELECT id FROM t"
    conditions.add("topic = ?", "a")
    assert conditions.statement("SELECT id FROM t", order_by="id DESC", limit=7) == (
        "SELECT id FROM t WHERE topic = $1 ORDER BY id DESC LIMIT $2"
    )
    assert conditions.args == ["a", 7]


def test_leading_values_come_first_and_a_tail_and_an_offset_take_their_places():
    """The head's own values (an UPDATE's SET) are $1…; a clause's several ``?`` are bound in turn;
    the tail (GROUP BY, RETURNING) follows the WHERE; LIMIT then OFFSET are bound last."""
    conditions = sql.Conditions("body", "")
    conditions.add("(due, id) > (?, ?)", 3, 4)
    conditions.in_list("ticket", [7])
    assert conditions.statement("UPDATE m SET body = $1, label = $2", tail="RETURNING id") == (
        "UPDATE m SET body = $1, label = $2 WHERE (due, id) > ($3, $4) AND ticket IN ($5) RETURNING id"
    )
    assert conditions.statement("SELECT id FROM m", "id DESC", limit=10, offset=20).endswith(
        "ticket IN ($5) ORDER BY id DESC LIMIT $6 OFFSET $7"
    )
    assert conditions.args == ["body", "", 3, 4, 7, 10, 20]


def test_an_empty_in_list_matches_nothing_instead_of_being_invalid_sql():
    assert sql.Conditions().in_list("id", []).where() == " WHERE 1 = 0"


async def test_the_rows_found_are_those_of_the_listed_values(db):
    async with write_transaction():
        ids = [await outbox.add(topic, {}) for topic in ("probe.one", "probe.two", "probe.three")]
    wanted = sql.Conditions().in_list("id", [ids[0], ids[2]])
    wanted.add("topic <> ?", "probe.three")
    rows = await sql.fetch(wanted.statement("SELECT id FROM outbox_events"), *wanted.args)
    assert [row["id"] for row in rows] == [ids[0]]
    nothing = sql.Conditions().in_list("id", [])
    assert await sql.fetch(nothing.statement("SELECT id FROM outbox_events"), *nothing.args) == []
    newest = sql.Conditions().in_list("id", ids)
    rows = await sql.fetch(newest.statement("SELECT id FROM outbox_events", order_by="id DESC", limit=2), *newest.args)
    assert [row["id"] for row in rows] == sorted(ids, reverse=True)[:2]
