"""Query limits reject before anything runs; an internal failure reaches the client masked, the log in full."""

import contextlib

from backend.api.errors import UNEXPECTED_MESSAGE
from backend.api.schema import MAX_ALIASES

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
    from backend.api.operation import _parse, _validate

    cache = _validate
    query = "query CachedViewer { viewer { name scopes } }"
    await api.data(query, key=key)
    hits, parsed = cache.cache_info().hits, _parse.cache_info().hits
    await api.data(query, key=key)
    await api.data(query, key=key)
    assert cache.cache_info().hits == hits + 2
    assert _parse.cache_info().hits == parsed + 2
