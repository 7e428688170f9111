"""Tokens for tests, made by the same service as `tracker token create`."""

from __future__ import annotations

from tracker.db import Database
from tracker.models import Role
from tracker.services.tokens import create_token


async def token_for(db: Database, role: Role, *, collectivity: str | None = None, body: str | None = None) -> str:
    async with db.transaction() as session:
        _row, plaintext = await create_token(
            session, name=f"test {role.value.lower()}", role=role, collectivity_slug=collectivity, body_slug=body
        )
    return plaintext
