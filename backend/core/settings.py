"""One validated settings object, read from ``MIRABELLE_*`` environment variables and ``.env``."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "MIRABELLE_"


class SettingsError(Exception):
    """A configuration value is missing or wrong; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    env: Literal["development", "production"] = Field(
        "development", description="production turns GraphiQL and introspection off by default and requires METRICS_TOKEN"
    )
    var_dir: Path = Field(Path("var"), description="directory for the SQLite file, embedded Redis and secrets")
    database_url: str = Field("", description="sqlite:///path/to/file.sqlite3 or postgresql://user@host:port/db")
    # Connections each process may open to PostgreSQL: keep processes × this under the server's max_connections.
    database_pool_size: int = Field(20, ge=1, le=1000)
    redis_url: str = Field("", description="redis://host:port/db; empty starts an embedded Redis")
    secret_key: SecretStr = Field(SecretStr(""), description="at least 32 characters; empty generates one under var_dir")

    previous_secret_keys: list[str] = Field(
        default_factory=list, description="earlier secret keys (JSON list) whose encrypted data still has to open"
    )

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    api_workers: int = Field(1, ge=1, le=64)
    # How long an idle client connection stays open: longer than clients keep theirs (httpx 5 s,
    # browsers and Node ≤ 60 s), so a client never reuses a connection the server is closing.
    api_keep_alive_seconds: int = Field(75, ge=1, le=3600)
    console_host: str = "127.0.0.1"
    console_port: int = Field(8080, ge=1, le=65535)

    session_ttl_minutes: int = Field(480, ge=1, le=60 * 24 * 30)
    login_max_failures: int = Field(5, ge=1, le=100)
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)

    graphql_max_depth: int = Field(10, ge=2, le=50)
    graphql_max_tokens: int = Field(2000, ge=100, le=100_000)
    # The query text is checked before it is parsed; variables are bounded by the request body's limit.
    graphql_max_document_chars: int = Field(50_000, ge=1_000, le=10_000_000)
    graphql_max_aliases: int = Field(15, ge=1, le=1_000)
    graphql_max_cost: int = Field(500, ge=10, le=1_000_000)  # see backend/api/query_cost.py
    # None: on, unless env is production.
    graphql_ide: bool | None = None
    graphql_introspection: bool | None = None
    metrics_token: SecretStr = Field(SecretStr(""), description="bearer token /metrics requires; required in production")

    outbox_relay_seconds: int = Field(10, ge=1, le=3600)
    outbox_stale_seconds: int = Field(30, ge=1, le=86_400)
    job_timeout_seconds: int = Field(30, ge=1, le=300)
    # Jobs one worker process runs at once (arq's max_jobs; arq's default is 10). Keep it at most
    # the database pool: measured in one process, 20 sends at once on a 20-connection pool ran at
    # 67/s, 50 at once at 35/s (the tasks holding a connection wait behind the others), 10 at 39/s.
    worker_max_jobs: int = Field(20, ge=1, le=1000)

    ledger_reservation_timeout_seconds: int = Field(15 * 60, ge=1, le=7 * 86_400)  # a hold's default lifetime
    ledger_expiry_sweep_seconds: int = Field(5, ge=1, le=3600)  # how often lapsed holds are released (a task of its own)
    # Where recipients reach the api from (claim links in delivery messages): scheme, host, optional path.
    public_url: str = Field("http://127.0.0.1:8000", description="e.g. https://rewards.example.com")
    # Claim pages against guessing: failed link lookups a client IP may make at once, then per minute.
    claim_failed_lookups_burst: int = Field(10, ge=1, le=10_000)
    claim_failed_lookups_per_minute: int = Field(6, ge=1, le=60_000)

    log_level: str = "INFO"
    log_json: bool = False

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:///", "postgres://", "postgresql://")):
            raise ValueError("expected sqlite:///path/to/file.sqlite3 or postgresql://user@host:port/dbname")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://host:port/db (or empty for the embedded Redis)")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 32:
            raise ValueError(
                "expected at least 32 characters (generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
            raise ValueError("expected an http(s) URL without query or fragment, e.g. https://rewards.example.com")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR")
        return value

    @model_validator(mode="after")
    def _production_metrics(self) -> Settings:
        if self.env == "production" and not self.metrics_token.get_secret_value():
            raise ValueError(
                "MIRABELLE_METRICS_TOKEN is required when MIRABELLE_ENV=production: /metrics must not be open to anyone"
            )
        return self

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphql_ide if self.graphql_ide is not None else self.env != "production"

    @property
    def introspection_enabled(self) -> bool:
        return self.graphql_introspection if self.graphql_introspection is not None else self.env != "production"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'mirabelle.sqlite3').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite:")

    def effective_secret_key(self) -> str:
        """The configured secret, or one generated once and kept under ``var_dir``."""
        if self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.var_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def _explain(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = ENV_PREFIX + "_".join(str(part) for part in item["loc"]).upper()
        lines.append(f"{name}: {item['msg']} (got {item.get('input')!r})")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(_explain(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
