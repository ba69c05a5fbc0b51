"""The JSON text a use case stores beside its change: audit entries, outbox payloads, idempotent
results. orjson writes dataclasses, enums, UUIDs and datetimes itself, at a tenth of the standard
library's cost with our recursive encoder (measured: 59 → 4 µs for a reservation's result), which
counted for ≈ 5 % of a points operation's CPU. Anything else (asyncpg's own UUID class, a Decimal)
is written as its text, as ``json.dumps(…, default=str)`` did; naive datetimes are UTC."""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    return orjson.dumps(value, default=str, option=_OPTIONS).decode()
