"""Configuration from `TRACKER_` environment variables."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Literal

from limits import parse_many
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACKER_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./tracker.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        description="PostgreSQL connections a process keeps open, and how many more it may open for a burst: "
        "beyond the kept ones, each is closed once used, and a new backend per query is a fork for PostgreSQL",
    )
    database_ping_after_idle_seconds: float = Field(
        default=5.0,
        ge=0,
        description="PostgreSQL: a pooled connection unused this long is pinged (one round trip) before a request "
        "gets it, in case it was cut silently (a firewall, a network failure); one the server closed (a restart) "
        "is replaced at once whatever its age, and one in continuous use is not pinged (0: ping at every use)",
    )
    database_lock_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="SQLite only: how long a write waits for its turn before it is answered 503 UNAVAILABLE",
    )
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL of the tracker")
    allow_private_targets: bool = Field(
        default=False, description="Allow outbound requests to loopback and private addresses"
    )
    timezone: str = Field(default="Africa/Casablanca", description="Time zone deciding what 'today' means")
    holidays: list[date] = Field(
        default_factory=list,
        description="Holidays that move each year (Eids, Islamic New Year, Mawlid), as a JSON list of dates",
    )
    default_language: str = Field(default="ar", description="Language when nothing else decides")
    scheduler_enabled: bool = Field(default=True, description="Run the scheduler in this process")
    leader_lock_key: int = Field(
        default=0x7472_6163_6B65_72,
        description="PostgreSQL advisory lock key of the scheduler leader (one per deployment)",
    )
    dispatch_interval_seconds: float = Field(default=2.0, gt=0, description="How often the outbox is dispatched")
    live_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often live subscriptions look for new events without a NOTIFY"
    )
    source_interval_seconds: float = Field(default=30.0, gt=0, description="How often due evidence sources are polled")
    reminder_interval_seconds: float = Field(default=3600.0, gt=0, description="How often deadline reminders run")
    delivery_interval_seconds: float = Field(default=2.0, gt=0, description="How often due webhooks are sent")
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Total time one webhook attempt may take: connecting, sending and reading the whole answer",
    )
    webhook_lanes: int = Field(
        default=32, ge=1, description="Subscriptions a process sends to at once, each in its own lane, in event order"
    )
    webhook_breaker_failures: int = Field(
        default=5, ge=1, description="Failed attempts in a row after which an endpoint is left alone for a while"
    )
    webhook_breaker_cooldown_seconds: float = Field(
        default=60.0, gt=0, description="How long an endpoint is left alone before one attempt probes it again"
    )
    read_cache_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How long an answer to an anonymous persisted read may be served again (0: no cache); "
        "committed changes invalidate it sooner",
    )
    read_cache_megabytes: int = Field(default=64, ge=1, description="Memory for cached answers")
    planned_reads: bool = Field(
        default=True,
        description="On PostgreSQL, answer the root fields of queries the read planner covers with one "
        "statement building their JSON (tracker/api/core/planner)",
    )
    token_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a process may accept a bearer token it checked a moment ago without reading it "
        "again (0: read it for every request): a revocation reaches this process at once, and other processes "
        "at once on PostgreSQL (LISTEN/NOTIFY), within this bound otherwise; expiry is exact",
    )
    max_body_bytes: int = Field(
        default=1_000_000,
        ge=1,
        description="Largest request body accepted (1 MB); a larger one is refused with 413 before it is read",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text or as JSON objects, one a line, each with its request id"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Least level logged")
    log_sql_parameters: bool = Field(
        default=False,
        description="Show the parameters of failed SQL statements in logs and error messages (they hold "
        "what clients sent, tokens' hashes included): for debugging only",
    )
    # Document limits (tracker/api/core/limits.py): over any, QUERY_TOO_COMPLEX before validation.
    max_document_bytes: int = Field(
        default=100_000, gt=0, description="Longest GraphQL document accepted, in bytes, refused before parsing"
    )
    max_tokens: int = Field(default=5000, gt=0, description="Most tokens in a document; parsing stops past it")
    max_query_depth: int = Field(default=12, gt=0, description="Deepest nesting of fields, fragments inlined")
    max_aliases: int = Field(default=30, gt=0, description="Most aliases in an operation, fragments inlined")
    max_fragment_spreads: int = Field(
        default=200, gt=0, description="Most fragment spreads in an operation once every fragment is inlined"
    )
    max_fields: int = Field(default=5000, gt=0, description="Most fields in an operation, fragments inlined")
    max_same_name_fields: int = Field(
        default=30,
        gt=0,
        description="Most fields answering under one name in one selection set, fragments inlined "
        "(validation compares them pair by pair)",
    )
    max_cost_anonymous: int = Field(
        default=25_000,
        gt=0,
        description="Most objects an anonymous query may resolve: each list counts its page size "
        "(first/last, else 100), nested lists multiply",
    )
    max_cost_authenticated: int = Field(
        default=200_000, gt=0, description="Most objects a query with a token may resolve (see max_cost_anonymous)"
    )
    # Idempotent mutations and rate limits (issue 12).
    idempotency_key_hours: float = Field(
        default=24.0, gt=0, description="How long the answer to a mutation sent with an Idempotency-Key is kept"
    )
    rate_limit_storage: str | None = Field(
        default=None,
        description="Where rate limit counters live: unset (no limits), memory:// (this process), "
        "redis://host:port (shared), or postgresql (the tracker's own database, shared)",
    )
    rate_limit_anonymous: str = Field(
        default="60/minute", description="Requests a client address may send without a token (e.g. 60/minute)"
    )
    rate_limit_authenticated: str = Field(default="600/minute", description="Requests a token may send")
    rate_limit_sign_in: str = Field(
        default="10/minute;50/hour",
        description="Sign-in attempts a client address may make, counted in TRACKER_RATE_LIMIT_STORAGE "
        "(this process's memory when unset): sign-in is limited whatever the other limits",
    )
    # People (issue 15).
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs the session cookies of people signed in; `tracker serve` refuses to start "
        "without it (except with --demo, which makes one for the run)",
    )
    smtp_url: str | None = Field(
        default=None, description="Where emails are sent (smtp://host:port); unset: emails are logged, not sent"
    )
    mail_from: str = Field(default="tracker@localhost", description="The sender of the tracker's emails")

    @field_validator("secret_key", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("rate_limit_anonymous", "rate_limit_authenticated", "rate_limit_sign_in")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_many(value)  # "60/minute", "10/second;600/hour": a typo stops the start, not the first request
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
