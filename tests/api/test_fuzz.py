"""A property-based fuzzer over the whole GraphQL schema, against the live api: schemathesis
(its GraphQL mode, built on hypothesis-graphql) sends generated queries and mutations with every
kind of argument, NUL and other control characters included, and no answer may be a server error
or a masked "Unexpected error". Then the same operations without a key: each one is refused with
401 and no data, over HTTP and over a WebSocket in both GraphQL protocols.

Budgets are small (the two runs take about a minute together here) and the runs are deterministic
(``--generation-deterministic``: no random seed, no example database), so CI sees the same cases.
The contract file (graphql/schema.graphql, checked against the live schema by test_contract) is
what the operations are generated from, so the run without a key needs no introspection."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import fuzz_checks  # noqa: F401  (registers the strategies of our custom scalars; tests/api is on sys.path)
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
ROOT = Path(__file__).parents[2]
CONTRACT = ROOT / "graphql" / "schema.graphql"


async def _schemathesis(api, tmp_path: Path, *arguments: str, budget_s: int) -> str:
    """Runs the CLI against ``api``; returns its report after asserting it found nothing."""
    process = await asyncio.create_subprocess_exec(
        SCHEMATHESIS,
        "run",
        str(CONTRACT),
        f"--url={api.http.base_url.join('/graphql')}",
        "--generation-deterministic",
        "--no-color",
        "--workers=1",
        f"--max-time={budget_s}",
        "--phases=fuzzing",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.fuzz_checks", "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,  # its crash cache stays out of the tree (and out of the next run)
    )
    output, _ = await asyncio.wait_for(process.communicate(), budget_s + 30)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report
    return report


async def test_generated_operations_never_meet_a_server_error(api, key, tmp_path):
    await _schemathesis(
        api,
        tmp_path,
        f"--header=Authorization: Bearer {key}",
        "--max-examples=25",
        "--checks=not_a_server_error,no_unexpected_error",
        "--generation-allow-x00=true",
        budget_s=35,
    )


async def test_every_operation_without_a_key_is_refused(api, tmp_path):
    await _schemathesis(api, tmp_path, "--max-examples=2", "--checks=refused_without_a_key", budget_s=12)


def _one_operation_of_each_root_field() -> list[str]:
    """One generated document for each query and mutation of the contract (the fuzzer's generator)."""
    documents: list[str] = []
    for result in schemathesis.graphql.from_path(CONTRACT).get_all_operations():

        @settings(
            max_examples=1,
            database=None,
            derandomize=True,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(result.ok().as_strategy())
        def collect(case) -> None:
            documents.append(case.body)

        collect()
    return documents


# Each protocol's first message after connection_init, and the type of a message carrying a result.
_SUBSCRIBE = {"graphql-transport-ws": ("subscribe", "next"), "graphql-ws": ("start", "data")}


async def _answers_over_a_websocket(url: str, protocol: str, document: str) -> list[dict] | None:
    """``None`` when the upgrade is refused; else what the server sent before closing or going quiet."""
    try:
        async with connect(url, subprotocols=[protocol], open_timeout=5) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
            await socket.send(json.dumps({"id": "1", "type": _SUBSCRIBE[protocol][0], "payload": {"query": document}}))
            answers = []
            try:
                while True:
                    answers.append(json.loads(await asyncio.wait_for(socket.recv(), 2)))
            except (ConnectionClosed, TimeoutError):
                return answers
    except InvalidStatus as refused:
        assert refused.response.status_code in (401, 403), refused.response.status_code
        return None


async def test_every_operation_over_a_websocket_without_a_key_is_refused(api):
    """The unauthenticated pass over a WebSocket: whether the upgrade is refused (no subscriptions
    exist, see graphql_controller) or a connection would ask for a key in its connection_init,
    no operation may run without one."""
    url = str(api.http.base_url.join("/graphql")).replace("http://", "ws://", 1)
    documents = _one_operation_of_each_root_field()
    assert len(documents) > 50  # every root field of the contract, not a few
    for document in documents:
        for protocol, (_, result_type) in _SUBSCRIBE.items():
            answers = await _answers_over_a_websocket(url, protocol, document)
            ran = [answer for answer in answers or () if answer.get("type") == result_type]
            assert not ran, f"{protocol} ran without a key: {document!r} answered {ran}"
