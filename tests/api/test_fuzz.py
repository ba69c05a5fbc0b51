"""A property-based fuzzer over the whole GraphQL schema, against the live api: schemathesis
(its GraphQL mode, built on hypothesis-graphql) sends generated queries and mutations with every
kind of argument, NUL and other control characters included, and no answer may be a server error
or a masked "Unexpected error". Then the same operations without a key: each one is refused with
401 and no data.

Budgets are small (the two runs take about a minute together here) and the runs are deterministic
(``--generation-deterministic``: no random seed, no example database), so CI sees the same cases.
The contract file (graphql/schema.graphql, checked against the live schema by test_contract) is
what the operations are generated from, so the run without a key needs no introspection."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

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
