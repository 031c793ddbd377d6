"""Runtime configuration: one Settings class, read from ``KPAS_``-prefixed environment variables."""

from __future__ import annotations

import re
import uuid
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The offline demo's Notify key and receipt token: accepted by the fake Notify only, and
#: refused in production.
DEMO_NOTIFY_API_KEY = (
    "kpas_demo-f2ae7c86-db15-404a-9040-1a9a2d03102c-bfe8fe7c-4de1-4db9-8925-d1e234420408"
)
DEV_NOTIFY_CALLBACK_TOKEN = "development-notify-callback-token"  # noqa: S105 - demo only

#: Identification documents and photographs: 10 MiB by default (a phone photo of a passport
#: page), never more than 50 MiB (the whole upload is held in memory while it is checked).
DOCUMENT_MAX_BYTES_DEFAULT = 10 * 1024 * 1024
DOCUMENT_MAX_BYTES_CEILING = 50 * 1024 * 1024


#: Requests for a token (``POST /v1/oauth/token``) allowed per minute, per client id and per
#: client address, in each API process.
TOKEN_REQUESTS_PER_MINUTE_PER_CLIENT_DEFAULT = 30
TOKEN_REQUESTS_PER_MINUTE_PER_ADDRESS_DEFAULT = 60

#: The public intake (``/v1/public``: subject requests and complaints, no token): submissions
#: allowed per client address in any window, per API process, and the largest body accepted
#: (a full form is a few kilobytes).
PUBLIC_INTAKE_REQUESTS_PER_ADDRESS_DEFAULT = 5
PUBLIC_INTAKE_WINDOW_SECONDS_DEFAULT = 600
PUBLIC_INTAKE_MAX_BODY_BYTES_DEFAULT = 32 * 1024


#: A browser origin as the ``Origin`` header sends it: scheme, host and optional port.
_ORIGIN = re.compile(r"https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class UnsafeProductionSettings(ValueError):
    """Production refuses these settings; ``problems`` says what each one must be."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("unsafe production settings: " + "; ".join(problems))
        self.problems = tuple(problems)


class Settings(BaseSettings):
    """Every setting the service reads, with its default.

    The configuration table in docs/configuration.md is checked against this class by a test,
    so a new setting cannot go undocumented.
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
    #: Extra allowance for a school roll push: a 2,000-pupil roll with carers is about 1.5 MB.
    roll_max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    #: Extra allowance for an attendance import, read as it streams in: a school week of marks
    #: for every pupil in Kent (2.4 million rows) is about 110 MB of CSV.
    attendance_import_max_body_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1024, le=4 * 1024 * 1024 * 1024
    )
    #: A roll push that would take more of the school's pupils off roll than this share (of
    #: those on it before the push), or than ``roll_leavers_confirm_over``, whichever is
    #: fewer, is refused unless the request states the number of leavers (``expected_leavers``).
    roll_leavers_confirm_over_percent: float = Field(default=10.0, ge=0, le=100)
    roll_leavers_confirm_over: int = Field(default=20, ge=0)
    #: Council practice, not law: persistent and severe absence alerts wait until a pupil has
    #: had at least this many possible sessions at the school in the school year (one school
    #: week), so a pupil absent on the first morning of term is not reported as severely absent.
    absence_alert_min_possible_sessions: int = Field(default=10, ge=1, le=400)
    #: The commencement date of the Children's Wellbeing and Schools Act 2026's School
    #: Attendance Order provisions (the new Education Act 1996 ss436A-436M), set by
    #: commencement regulations; unset while no date is made. A School Attendance Order
    #: process begun on or after it runs under the 2026 Act
    #: (``app.rules.school_attendance_orders.regime_on``).
    cwsa_2026_commencement: date | None = Field(
        default=None,
        description="The commencement date of the Children's Wellbeing and Schools Act 2026 "
        "School Attendance Order provisions; unset while commencement regulations set none.",
    )
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    token_issuer: str = "https://kpas.kent.gov.uk"  # noqa: S105 - an issuer URL, not a secret
    token_audience: str = "kpas-api"  # noqa: S105 - an audience name, not a secret
    token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    token_leeway_seconds: int = Field(default=30, ge=0, le=120)
    token_max_bytes: int = Field(default=8192, ge=1024, le=65536)
    #: The longest lifetime (``exp - iat``) accepted in a token from any trusted issuer; at
    #: least an hour, so this service's own tokens (``token_ttl_seconds``) always fit.
    token_max_lifetime_seconds: int = Field(default=12 * 3600, ge=3600, le=24 * 3600)
    #: Where the service keeps what must outlive a restart or a new image: its keys, unless
    #: their directories are set. Relative paths are from the working directory.
    data_dir: Path = Path("var")
    signing_keys_dir: Path = Field(default_factory=lambda given: Path(given["data_dir"]) / "keys")
    signing_algorithm: Literal["RS256", "ES256"] = "RS256"
    document_keys_dir: Path = Field(
        default_factory=lambda given: Path(given["data_dir"]) / "document-keys"
    )
    document_max_bytes: int = Field(
        default=DOCUMENT_MAX_BYTES_DEFAULT, ge=1024, le=DOCUMENT_MAX_BYTES_CEILING
    )
    idp_issuer: str | None = None
    idp_jwks_url: str | None = None
    idp_audience: str | None = None
    jwks_cache_seconds: int = Field(default=3600, ge=60)
    token_requests_per_minute_per_client: int = Field(
        default=TOKEN_REQUESTS_PER_MINUTE_PER_CLIENT_DEFAULT, ge=1, le=1_000_000
    )
    token_requests_per_minute_per_address: int = Field(
        default=TOKEN_REQUESTS_PER_MINUTE_PER_ADDRESS_DEFAULT, ge=1, le=1_000_000
    )
    # --- the public intake (``/v1/public``) -------------------------------------------------
    public_intake_requests_per_address: int = Field(
        default=PUBLIC_INTAKE_REQUESTS_PER_ADDRESS_DEFAULT, ge=1, le=1_000_000
    )
    public_intake_window_seconds: int = Field(
        default=PUBLIC_INTAKE_WINDOW_SECONDS_DEFAULT, ge=1, le=86_400
    )
    public_intake_max_body_bytes: int = Field(
        default=PUBLIC_INTAKE_MAX_BODY_BYTES_DEFAULT, ge=1024, le=1_048_576
    )
    #: Council policy: a request made through the public form waits for proof of identity
    #: (the clock starts when it arrives, UK GDPR Art 12A(2)); false starts it on receipt.
    public_request_identity_required: bool = True
    # ---------------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: Origins of the council's browser front ends that may call the API (CORS), as a JSON
    #: list. None by default: no CORS headers at all. Named origins only (no ``*``); bearer
    #: tokens need no cookies, so credentialed requests are never allowed.
    cors_allowed_origins: list[str] = Field(default_factory=list, max_length=50)
    notify_base_url: str = "http://127.0.0.1:8025"
    #: ``{name}-{service uuid}-{secret uuid}``. The default is the offline demo's key, which
    #: only the fake Notify accepts; production refuses it.
    notify_api_key: SecretStr = SecretStr(DEMO_NOTIFY_API_KEY)
    #: The bearer token Notify sends with delivery receipts (set in Notify's service settings).
    notify_callback_token: SecretStr = SecretStr(DEV_NOTIFY_CALLBACK_TOKEN)
    #: Sends a minute for all workers together: Notify's limit (3,000 a minute) is per service
    #: and key type, not per API key or worker, so the workers share one budget through the
    #: database.
    notify_rate_limit_per_minute: int = Field(
        default=3000,
        ge=1,
        le=1_000_000,
        description="Notify sends a minute for all workers together: Notify's limit (3,000 a "
        "minute) is per service and key type, not per API key, so workers share one budget.",
    )
    #: Notify template ids by ``"{message type}.{channel}"`` (JSON); unset ones use the demo ids
    #: outside production, and production refuses to start without every one.
    notify_templates: dict[str, uuid.UUID] = Field(default_factory=dict)
    outbox_max_attempts: int = Field(default=10, ge=1, le=100)
    outbox_retry_base_seconds: float = Field(default=2.0, gt=0, le=3600)
    outbox_retry_max_seconds: float = Field(default=900.0, gt=0, le=86400)
    outbox_claim_seconds: int = Field(default=120, ge=5, le=3600)
    #: Days a final message keeps its recipient and personalisation before they are cleared.
    outbox_personal_data_days: int = Field(default=30, ge=0, le=365)
    #: Days past the retention date before the sweep destroys a subject's records (they are
    #: inaccessible from the day after the retention date).
    retention_grace_days: int = Field(default=30, ge=0, le=3650)
    #: Seconds between the worker's retention sweeps (0: the worker does not sweep).
    retention_sweep_seconds: int = Field(default=86400, ge=0, le=7 * 86400)

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins_only(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    "each must be an origin such as https://kpas.kent.gov.uk: a scheme, a "
                    "lower-case host and an optional port, no path, no trailing slash, no *"
                )
        return origins

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
            if self.notify_api_key.get_secret_value().strip() in {DEMO_NOTIFY_API_KEY, ""}:
                problems.append("KPAS_NOTIFY_API_KEY must be the service's own key")
            callback_token = self.notify_callback_token.get_secret_value()
            if callback_token == DEV_NOTIFY_CALLBACK_TOKEN or len(callback_token) < 32:
                problems.append(
                    "KPAS_NOTIFY_CALLBACK_TOKEN must be a random secret of 32+ characters"
                )
            missing = _unmapped_message_templates(self.notify_templates)
            if missing:
                problems.append(
                    "KPAS_NOTIFY_TEMPLATES must name a Notify template for every message type "
                    f"and channel (the demo ids exist only in the fake); missing: "
                    f"{', '.join(missing)}"
                )
            # Every call to Notify carries a token made with the service's key: in clear, it
            # could be replayed by anyone on the path (and the default is the local fake).
            if not self.notify_base_url.startswith("https://"):
                problems.append("KPAS_NOTIFY_BASE_URL must be an https:// address")
            if any(not origin.startswith("https://") for origin in self.cors_allowed_origins):
                problems.append("KPAS_CORS_ALLOWED_ORIGINS must name https:// origins only")
            if problems:
                raise UnsafeProductionSettings(problems)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def json_logs(self) -> bool:
        if self.log_format == "auto":
            return self.env is not Environment.DEVELOPMENT
        return self.log_format == "json"


def _unmapped_message_templates(templates: dict[str, uuid.UUID]) -> list[str]:
    """Registered ``"{type}.{channel}"`` pairs without a template id (imported late: the
    message registry imports the models, which must not need the settings first)."""
    from app.messages.template_check import missing_mappings

    return missing_mappings(templates)


def describe_settings_errors(error: ValidationError | SettingsError) -> list[str]:
    """One line per bad setting, naming its ``KPAS_`` variable and what is wrong with it.

    The values themselves are left out: a database URL or a key may be a secret.
    """
    if isinstance(error, SettingsError):
        # A structured value (a JSON object such as KPAS_NOTIFY_TEMPLATES) that does not parse.
        field = re.search(r'field "(\w+)"', str(error))
        name = f"KPAS_{field.group(1).upper()}" if field else "a KPAS_ variable"
        return [f"{name}: is not valid JSON"]
    lines: list[str] = []
    for problem in error.errors(include_url=False, include_input=False):
        if problem["type"] == "default_factory_not_called":
            continue  # a default derived from another setting that is itself reported
        cause = (problem.get("ctx") or {}).get("error")
        if isinstance(cause, UnsafeProductionSettings):
            lines.extend(f"{text} (KPAS_ENV is production)" for text in cause.problems)
            continue
        location = [str(part) for part in problem["loc"]]
        if not location:
            lines.append(str(problem["msg"]))
            continue
        variable = "KPAS_" + location[0].upper()
        inner = "".join(f"[{part}]" for part in location[1:])
        message = str(problem["msg"])
        lines.append(f"{variable}{inner}: {message[:1].lower()}{message[1:]}")
    return lines


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
