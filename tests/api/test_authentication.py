"""Every GraphQL POST needs a live API key; the refusal says exactly what is wrong."""

import asyncio
import os
import sys

import pytest

from backend.access import services as access

VIEWER = "{ viewer { kind name scopes } }"


def assert_unauthenticated(response, message_part: str) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith('Bearer realm="mirabelle"')
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert message_part in error["message"], error["message"]
    return error["message"]


async def test_missing_key(api):
    response = await api.post(VIEWER)
    assert_unauthenticated(response, "missing API key")
    assert "error=" not in response.headers["www-authenticate"]  # RFC 6750: no error code without credentials


@pytest.mark.parametrize(
    ("header", "message_part"),
    [
        ("Bearer not-a-mirabelle-key", "malformed API key"),
        ("Bearer", "missing API key"),
        ("Basic dXNlcjpwYXNz", "unsupported Authorization scheme 'Basic'"),
        (f"Bearer mb_{'a' * 12}_{'b' * 40}", "unknown API key"),
    ],
)
async def test_bad_key(api, admin, header, message_part):
    response = await api.post(VIEWER, headers={"Authorization": header})
    message = assert_unauthenticated(response, message_part)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]  # credentials were sent
    if header.startswith("Bearer mb_"):
        assert message == "unknown API key"


async def test_a_known_prefix_with_a_wrong_secret_is_unknown(api, key):
    tampered = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert_unauthenticated(await api.post(VIEWER, key=tampered), "unknown API key")


async def test_revoked_key(api, admin, make_key):
    secret = await make_key("recipients:read", name="old integration")
    assert (await api.post(VIEWER, key=secret)).status_code == 200
    (key,) = [k for k in (await access.list_api_keys(admin)).rows if k.name == "old integration"]
    await access.revoke_api_key(admin, key.id)
    assert_unauthenticated(await api.post(VIEWER, key=secret), "API key 'old integration' was revoked on")


async def test_viewer_names_the_key_and_its_scopes(api, make_key):
    secret = await make_key("recipients:write", "recipients:read", name="payroll sync")
    data = await api.data(VIEWER, key=secret)
    assert data["viewer"] == {
        "kind": "API_KEY",
        "name": "api-key:payroll sync",
        "scopes": ["recipients:read", "recipients:write"],
    }


async def test_graphiql_is_served_without_a_key_but_operations_over_get_are_not(api, key):
    page = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    over_get = await api.http.get("/graphql", params={"query": VIEWER}, headers={"Authorization": f"Bearer {key}"})
    assert over_get.status_code in (400, 405) and "api-key:" not in over_get.text, over_get.text


async def test_graphiql_is_served_to_any_get_without_a_query(api):
    page = await api.http.get("/graphql", headers={"Accept": ""})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


# The console revokes in a process of its own: the api processes learn it only from the database.
# It starts (imports) first and revokes when told, so the revocation lands right after the keys were used.
_REVOKE_IN_ANOTHER_PROCESS = """
import asyncio, sys, uuid
from backend.access import services as access
from backend.core.authz import SYSTEM
print("ready", flush=True)
sys.stdin.readline()
asyncio.run(access.revoke_api_key(SYSTEM, uuid.UUID(sys.argv[1])))
"""


async def test_a_key_revoked_elsewhere_is_refused_by_every_api_at_the_next_request(serve, admin, db):
    first, second = await serve(), await serve()  # two api instances on one database
    key, secret = await access.create_api_key(admin, "departing integration", ["recipients:read"])
    console = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _REVOKE_IN_ANOTHER_PROCESS,
        str(key.id),
        env={**os.environ, "MIRABELLE_DATABASE_URL": db.url},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert await console.stdout.readline() == b"ready\n"
    for api in (first, second, first, second):
        assert (await api.post(VIEWER, key=secret)).status_code == 200
    console.stdin.write(b"revoke\n")
    await console.stdin.drain()
    assert await console.wait() == 0
    for api in (first, second):
        assert_unauthenticated(await api.post(VIEWER, key=secret), "API key 'departing integration' was revoked on")
