"""Counting the SQL statements an operation sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection

from tracker.db import NO_BEGIN_OPTION, Database


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        # Transactions the driver really opened (not on a connection that autocommits).
        self.transactions = 0
        # Pings of pooled connections at checkout (tracker.db._Liveness): a round trip each, sent
        # by the dialect on the DBAPI connection, so by no SQLAlchemy statement event.
        self.pings = 0

    @property
    def count(self) -> int:
        return len(self.statements)

    @property
    def exchanges(self) -> int:
        """What was sent to the database: each statement, and each transaction's BEGIN and its
        COMMIT or ROLLBACK (sent by the driver on PostgreSQL, so by no cursor)."""
        statements = sum(1 for statement in self.statements if not statement.startswith("BEGIN"))
        return statements + 2 * self.transactions


@contextmanager
def count_statements(db: Database) -> Iterator[StatementCounter]:
    counter = StatementCounter()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counter.statements.append(statement)

    def began(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") != "AUTOCOMMIT" and not options.get(NO_BEGIN_OPTION):
            counter.transactions += 1

    dialect = db.engine.dialect
    own_ping = vars(dialect).get("do_ping")  # set by an enclosing counter
    ping = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        counter.pings += 1
        return ping(dbapi_connection)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    event.listen(db.engine.sync_engine, "begin", began)
    dialect.do_ping = counting_ping  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        event.remove(db.engine.sync_engine, "begin", began)
        if own_ping is None:
            del dialect.do_ping
        else:
            dialect.do_ping = own_ping  # type: ignore[method-assign]
