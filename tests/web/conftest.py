from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.graphql import Client
from tracker.db import Database
from tracker.settings import Settings


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[Client]:
    graphql = Client(settings, db)
    try:
        yield graphql
    finally:
        await graphql.close()
