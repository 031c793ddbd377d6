"""Runtime configuration: one Settings class, read from ``KPAS_``-prefixed environment variables."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every setting the service reads, with its default.

    The README's configuration table is checked against this class by a test, so a new
    setting cannot go undocumented.
    """

    model_config = SettingsConfigDict(env_prefix="KPAS_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    debug: bool = False
    database_url: str = "sqlite+aiosqlite:///var/kpas.db"
    database_echo: bool = False
    database_pool_size: int = Field(default=10, ge=1, le=200)
    migrations_dir: Path = PROJECT_ROOT / "migrations"
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    token_issuer: str = "https://kpas.kent.gov.uk"  # noqa: S105 - an issuer URL, not a secret
    token_audience: str = "kpas-api"  # noqa: S105 - an audience name, not a secret
    token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    token_leeway_seconds: int = Field(default=30, ge=0, le=120)
    token_max_bytes: int = Field(default=8192, ge=1024, le=65536)
    signing_keys_dir: Path = PROJECT_ROOT / "var" / "keys"
    signing_algorithm: Literal["RS256", "ES256"] = "RS256"
    idp_issuer: str | None = None
    idp_jwks_url: str | None = None
    idp_audience: str | None = None
    jwks_cache_seconds: int = Field(default=3600, ge=60)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            problems = []
            if self.debug:
                problems.append("KPAS_DEBUG must be false")
            if self.is_sqlite:
                problems.append("KPAS_DATABASE_URL must point at PostgreSQL, not SQLite")
            if self.database_echo:
                problems.append("KPAS_DATABASE_ECHO would log query parameters")
            if problems:
                raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def json_logs(self) -> bool:
        if self.log_format == "auto":
            return self.env is not Environment.DEVELOPMENT
        return self.log_format == "json"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
