"""Fixed-window rate limit counters kept in our own database, shared by the replicas using it."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class RateLimitCounter(SQLModel, table=True):
    __tablename__ = "rate_limit_counter"

    # The `limits` library's key: limit, window and client.
    key: str = Field(primary_key=True, max_length=255)
    count: int
    # When the window ends, in seconds since the epoch (what `limits` storages report).
    expires_at: float = Field(index=True)
