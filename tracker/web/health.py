"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from tracker import migrate


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and its schema is at the latest migration."""
    db = request.app.state.db
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        current = await asyncio.to_thread(migrate.is_current, db.url)
    except Exception as error:  # the probe reports any failure, it must not raise
        return JSONResponse({"status": "unavailable", "database": type(error).__name__}, status_code=503)
    if not current:
        return JSONResponse({"status": "unavailable", "migrations": "pending"}, status_code=503)
    return JSONResponse({"status": "ok"})
