"""Bearer tokens: who the caller is, and what a bad token gets."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.graphql import Client
from tests.support.tokens import token_for
from tracker.db import Database
from tracker.models import ApiToken, Role
from tracker.models.base import utcnow
from tracker.services.tokens import revoke_token

VIEWER = "{ viewer { role name collectivity { slug } } }"


async def test_anonymous_viewer(client: Client) -> None:
    data = await client.data(VIEWER)
    assert data["viewer"] == {"role": "ANONYMOUS", "name": None, "collectivity": None}


async def test_editor_viewer_knows_its_collectivity(client: Client, db: Database) -> None:
    await small_plan(db, slug="tiznit")
    token = await token_for(db, Role.EDITOR, collectivity="tiznit")
    data = await client.data(VIEWER, headers=client.bearer(token))
    assert data["viewer"] == {"role": "EDITOR", "name": "test editor", "collectivity": {"slug": "tiznit"}}


async def test_a_wrong_token_is_refused_with_401(client: Client) -> None:
    response = await client.post(VIEWER, headers=client.bearer("trk_000000000000_notthesecretatallnotatall"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_right_key_with_a_wrong_secret_is_refused(client: Client) -> None:
    key_part = client.admin_token.rsplit("_", 1)[0]
    response = await client.post(VIEWER, headers=client.bearer(f"{key_part}_{'x' * 43}"))
    assert response.status_code == 401


async def test_a_revoked_token_is_refused(client: Client, db: Database) -> None:
    token = await token_for(db, Role.ADMIN)
    async with db.transaction() as session:
        await revoke_token(session, key_id=token.split("_")[1])
    response = await client.post(VIEWER, headers=client.bearer(token))
    assert response.status_code == 401


async def test_an_expired_token_is_refused(client: Client, db: Database) -> None:
    token = await token_for(db, Role.ADMIN)
    async with db.transaction() as session:
        row = (await session.exec(select(ApiToken).where(ApiToken.key_id == token.split("_")[1]))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    response = await client.post(VIEWER, headers=client.bearer(token))
    assert response.status_code == 401


async def test_the_token_is_stored_only_as_a_hash(db: Database) -> None:
    token = await token_for(db, Role.ADMIN)
    secret = token.split("_", 2)[2]
    async with db.reader() as session:
        rows = (await session.exec(select(ApiToken))).all()
    assert all(secret not in repr(row.model_dump()) for row in rows)


async def test_a_non_bearer_scheme_is_refused(client: Client) -> None:
    response = await client.post(VIEWER, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}", "PATH": ""}
    return subprocess.run([sys.executable, "-m", "tracker.cli", *args], env=env, capture_output=True, text=True)


def test_token_cli_creates_lists_and_revokes(tmp_path: Path) -> None:
    created = _cli(tmp_path, "token", "create", "--role", "ADMIN", "--name", "ops")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("trk_")
    key_id = token.split("_")[1]
    listed = _cli(tmp_path, "token", "list")
    assert f"{key_id}\tADMIN\tops\tactive" in listed.stdout
    assert token.split("_", 2)[2] not in listed.stdout
    assert _cli(tmp_path, "token", "revoke", key_id).returncode == 0
    assert f"{key_id}\tADMIN\tops\trevoked" in _cli(tmp_path, "token", "list").stdout


def test_token_cli_refuses_an_editor_without_collectivity(tmp_path: Path) -> None:
    result = _cli(tmp_path, "token", "create", "--role", "EDITOR", "--name", "x")
    assert result.returncode == 1
    assert "collectivity" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_refused_token_is_never_echoed(client: Client) -> None:
    presented = "trk_abcdefabcdef_thisisasecretthatmustnotleak"
    response = await client.post(VIEWER, headers=client.bearer(presented))
    assert "thisisasecretthatmustnotleak" not in response.text
