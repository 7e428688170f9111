"""SQL fragments for the PostgreSQL read path: answers built by the database as JSON text.

Each fragment renders exactly what the Python path renders for the same value, so that the
answer parses to the same JSON: `i18n.pick` over the reader's languages (bound as a text[]),
`encode_id`, `date.isoformat()`, `datetime.isoformat()` of UTC values. Progress is not computed
here: it is a column, kept on write by `services.derived` with the rule of `tracker.progress`.

Floats are printed by PostgreSQL's `float8out`: with `extra_float_digits` above 0 (the default
since PostgreSQL 12) that is the shortest text that reads back as the same double, as Python's
`repr` is; only the spelling of integral values differs (`100` for `100.0`), which JSON readers
do not see. Each statement reports the setting (`EXACT_FLOATS`): below 1, the normal path answers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import TextClause, text
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import i18n
from tracker.access import Principal
from tracker.api.compiled.reads import Fallback, Reader
from tracker.models.enums import Role

LANGUAGES = "CAST(:langs AS text[])"


def pick(value: str) -> str:
    """`i18n.pick(value, languages) or ""` of a jsonb translated text, in the reader's languages."""
    return i18n.pick_sql(value, LANGUAGES, required=True)


def visibility(principal: Principal) -> dict[str, Any]:
    """Bind parameters of `can_read_plan`: every draft (admins), or the drafts of one collectivity."""
    own = principal.collectivity_id if principal.role in (Role.EDITOR, Role.MONITOR) else None
    return {"all_drafts": principal.role is Role.ADMIN, "own": own}


# `access.can_read_plan` of the action plan aliased `plan`, with the parameters of `visibility`. The
# parameters are read by subqueries so that the plan is the same whatever their values: PostgreSQL
# then keeps one generic plan of the prepared statement instead of planning it at every run.
READABLE = (
    "(plan.status <> 'DRAFT' OR (SELECT CAST(:all_drafts AS boolean))"
    " OR plan.collectivity_id = (SELECT CAST(:own AS uuid)))"
)


# A column of every statement: whether this session prints floats exactly (see above).
EXACT_FLOATS = "CAST(current_setting('extra_float_digits') AS integer) > 0 AS exact_floats"


def languages(reader: Reader) -> list[str]:
    if len(reader.languages) > len(i18n.LANGUAGES):
        raise Fallback("languages")  # i18n.preference never gives more: each language once
    return list(reader.languages)


def statement(sql: str) -> TextClause:
    """A statement made once (parsing its bind parameters out of the text is not free)."""
    return text(sql)


async def one_row(session: AsyncSession, query: TextClause, params: dict[str, Any]) -> Any:
    """The single row of a statement whose answer is built by the database.

    One statement reads one snapshot: it runs outside a transaction, without BEGIN and ROLLBACK
    round trips. That also keeps it prepared: psycopg prepares a statement from its fifth run on
    a connection but forgets all on a rollback, and planning these costs more than running them.
    """
    connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    row = (await connection.execute(query, params)).one()
    if not row.exact_floats:
        raise Fallback("extra_float_digits")
    return row
