"""Query limits reject before anything runs; an internal failure reaches the client masked, the log in full."""

import contextlib
import time

from backend.api.errors import UNEXPECTED_MESSAGE
from backend.core.settings import Settings

MAX_ALIASES = Settings().graphql_max_aliases

DEEP = "{ recipients { edges { node { externalId } } } }"  # depth 3: the root's fields are depth 0


async def test_a_query_deeper_than_the_limit_is_rejected(serve, key):
    api = await serve(graphql_max_depth="2")
    (error,) = await api.errors(DEEP, key=key)
    assert "exceeds maximum operation depth of 2" in error["message"]
    shallow = await api.data("{ recipients { totalCount } }", key=key)
    assert shallow == {"recipients": {"totalCount": 0}}


async def test_the_default_depth_admits_the_documented_operations(api, key):
    assert (await api.data(DEEP, key=key))["recipients"]["edges"] == []


async def test_a_query_with_too_many_tokens_is_rejected(serve, key):
    api = await serve(graphql_max_tokens="100")
    fields = " ".join("totalCount" for _ in range(120))
    (error,) = await api.errors(f"{{ recipients {{ {fields} }} }}", key=key)
    assert "more than 100 tokens" in error["message"]


async def test_too_many_aliases_are_rejected(api, key):
    fields = " ".join(f"v{n}: viewer {{ name }}" for n in range(MAX_ALIASES + 1))
    (error,) = await api.errors(f"{{ {fields} }}", key=key)
    assert f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}" in error["message"]
    allowed = " ".join(f"v{n}: viewer {{ name }}" for n in range(MAX_ALIASES))
    assert len(await api.data(f"{{ {allowed} }}", key=key)) == MAX_ALIASES


@contextlib.asynccontextmanager
async def recipients_table_missing(db):
    """A real internal failure: the table the resolver reads is gone for a moment."""
    await db.engine.run_ddl("ALTER TABLE recipients RENAME TO recipients_away")
    try:
        yield
    finally:
        await db.engine.run_ddl("ALTER TABLE recipients_away RENAME TO recipients")


async def test_an_internal_failure_is_masked_for_the_client_and_logged(api, key, db, capfd):
    async with recipients_table_missing(db):
        response = await api.post("query Broken { recipients { totalCount } }", key=key, headers={"X-Request-ID": "broken-1"})
    (error,) = response.json()["errors"]
    assert error["message"] == UNEXPECTED_MESSAGE and "extensions" not in error
    assert "recipients_away" not in response.text and "Traceback" not in response.text and "SELECT" not in response.text
    log = capfd.readouterr().err
    assert "graphql.unexpected_error" in log and "broken-1" in log and "Traceback" in log


async def test_repeated_documents_skip_validation_with_the_limits_on(api, key):
    # The limit rules must be the same classes on every request, or each request would miss the cache.
    # (Strawberry's ParserCache and ValidationCache keep one LRU cache per size, module-wide.)
    from strawberry.extensions.parser_cache import _get_parse_cache
    from strawberry.extensions.validation_cache import _get_validate_cache

    from backend.api.operation import CACHED_DOCUMENTS

    validated, parsed = _get_validate_cache(CACHED_DOCUMENTS), _get_parse_cache(CACHED_DOCUMENTS)
    query = "query CachedViewer { viewer { name scopes } }"
    await api.data(query, key=key)
    validate_hits, parse_hits = validated.cache_info().hits, parsed.cache_info().hits
    await api.data(query, key=key)
    await api.data(query, key=key)
    assert validated.cache_info().hits == validate_hits + 2
    assert parsed.cache_info().hits == parse_hits + 2


async def test_a_huge_query_text_is_refused_before_it_is_parsed(serve, key, capfd):
    api = await serve()
    literal = "x" * 9_500_000  # one token: the token limit does not stop the parser reading it
    started = time.perf_counter()
    (error,) = await api.errors(f'{{ recipient(externalId: "{literal}") {{ id }} }}', key=key)
    elapsed = time.perf_counter() - started
    limit = Settings().graphql_max_document_chars
    assert error["extensions"] == {"code": "QUERY_TOO_LARGE", "limit": limit}
    assert f"over the limit of {limit:,}" in error["message"]
    assert elapsed < 1.0, f"refusing took {elapsed:.2f} s"  # parsing it took 3–5 s
    assert "graphql.unexpected_error" not in capfd.readouterr().err


async def test_the_document_limit_does_not_bound_variables(serve, key):
    api = await serve(graphql_max_document_chars="1000")
    query = "query($id: String!) { recipient(externalId: $id) { id } }"
    body = (await api.post(query, {"id": "x" * 5_000}, key=key)).json()
    assert "QUERY_TOO_LARGE" not in str(body.get("errors"))
    assert body["data"] == {"recipient": None}  # it ran (no such recipient)


async def test_repeated_counting_fields_are_refused_before_they_run(api, key):
    budget = Settings().graphql_max_cost
    counts = " ".join(["totalCount"] * 450)
    response = await api.post(f"{{ recipients {{ {counts} }} }}", key=key)
    body = response.json()
    assert body.get("data") is None  # refused at validation: nothing ran
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 4510, "budget": budget}
    assert f"over the budget of {budget}" in error["message"]


async def test_a_fragment_counts_wherever_it_is_spread(api, key):
    # Each fragment spreads the one before twice: 2^9 totalCounts in a few dozen tokens.
    fragments = ["fragment F0 on RecipientConnection { totalCount }"]
    fragments += [f"fragment F{n} on RecipientConnection {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 10)]
    (error,) = await api.errors("{ recipients { ...F9 } } " + " ".join(fragments), key=key)
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"] == 10 + 2**9 * 10


async def test_a_query_within_the_budget_runs(api, key):
    counts = " ".join(["totalCount"] * 40)
    assert await api.data(f"{{ recipients {{ {counts} }} }}", key=key) == {"recipients": {"totalCount": 0}}


async def test_a_bad_inline_literal_is_the_callers_mistake_naming_the_field(api, key, capfd):
    for literal in ("1.5", '"500"'):
        query = f'mutation {{ creditPoints(input: {{ programmeId: "p", recipientExternalId: "E-1", idempotencyKey: "k-1", amount: {literal} }}) {{ errors {{ code }} }} }}'
        (error,) = await api.errors(query, key=key)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.amount"}, error
        assert error["message"].startswith("invalid value for 'input.amount'") and literal in error["message"]
    (error,) = await api.errors('{ recipients(first: "many") { totalCount } }', key=key)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}
    assert 'Int cannot represent non-integer value: "many"' in error["message"]
    log = capfd.readouterr().err
    assert "graphql.unexpected_error" not in log and "Traceback" not in log


async def test_a_bad_variable_value_is_the_callers_mistake_naming_the_field(api, key, capfd):
    query = "mutation($i: CreditPointsInput!) { creditPoints(input: $i) { errors { code } } }"
    given = {"programmeId": "p", "recipientExternalId": "E-1", "idempotencyKey": "k-1"}
    for amount in (1.5, "500"):
        (error,) = await api.errors(query, {"i": {**given, "amount": amount}}, key=key)
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}
        assert "'$i' has invalid value at .amount" in error["message"]
    (error,) = await api.errors("query($f: Int) { recipients(first: $f) { totalCount } }", {"f": "many"}, key=key)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"} and "'$f'" in error["message"]
    log = capfd.readouterr().err
    assert "graphql.unexpected_error" not in log and "Traceback" not in log
