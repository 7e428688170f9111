"""How `tracker token list` shows a token's state: active, expires on a date, expired, revoked."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from tracker import migrate
from tracker.db import Database
from tracker.models import ApiToken, Role
from tracker.models.base import utcnow
from tracker.services.tokens import create_token, token_state


async def _token(db: Database, expires_in: timedelta) -> ApiToken:
    async with db.transaction() as session:
        row, _plaintext = await create_token(session, name="ops", role=Role.ADMIN, expires_at=utcnow() + expires_in)
    return row


async def test_a_token_past_its_expiry_reads_expired(db: Database) -> None:
    row = await _token(db, timedelta(days=1))
    assert token_state(row, now=utcnow() + timedelta(days=2)) == "expired"


async def test_a_token_at_its_expiry_instant_reads_expired(db: Database) -> None:
    row = await _token(db, timedelta(days=1))
    assert row.expires_at is not None
    assert token_state(row, now=row.expires_at) == "expired"


async def test_a_token_before_its_expiry_reads_when_it_expires(db: Database) -> None:
    row = await _token(db, timedelta(days=1))
    assert row.expires_at is not None
    assert token_state(row, now=utcnow()) == f"expires {row.expires_at:%Y-%m-%d}"


def test_token_list_shows_an_expired_token_as_expired(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    migrate.upgrade(url)
    key_id = "abcdefabcdef"

    async def write() -> None:
        # Expired yesterday: written as it stands in the table (the service refuses to create
        # a token already expired, and the CLI runs in a process whose clock we cannot move).
        db = Database(url)
        async with db.transaction() as session:
            expired = utcnow() - timedelta(days=1)
            session.add(ApiToken(key_id=key_id, secret_hash="0" * 64, name="old", role=Role.ADMIN, expires_at=expired))
        await db.dispose()

    asyncio.run(write())
    env = {"TRACKER_DATABASE_URL": url, "PATH": ""}
    listed = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "token", "list"], env=env, capture_output=True, text=True, check=True
    )
    assert f"{key_id}\tADMIN\told\texpired" in listed.stdout
