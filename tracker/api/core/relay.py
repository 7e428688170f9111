"""Relay essentials: opaque global IDs, the Node interface and connections paged by offset."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from tracker.errors import BadInput
from tracker.ids import decode_id, decode_key, encode_id

__all__ = ["decode_id", "decode_key", "encode_id"]  # global IDs live in tracker.ids

T = TypeVar("T")
M = TypeVar("M")
MAX_PAGE = 100
_CURSOR_PREFIX = "offset:"


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global ID, usable with `node(id:)`.")


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item of the page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item of the page.")


@strawberry.type(description="An item of a page, with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from here.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list that can grow (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="Number of items in the whole list (filters applied).")

    @strawberry.field(description="The items of this page without their cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def cursor_of(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode().rstrip("=")


def offset_of(cursor: str, *, field: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        offset = int(raw[len(_CURSOR_PREFIX) :])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadInput(f"{field} is not a cursor of this list", field=field) from None
    if offset < 0:
        raise BadInput(f"{field} is not a cursor of this list", field=field)
    return offset


@dataclass(frozen=True, slots=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def __post_init__(self) -> None:
        for name in ("first", "last"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_PAGE:
                raise BadInput(f"{name} must be between 0 and {MAX_PAGE}", field=name)

    def window(self, total: int) -> tuple[int, int]:
        """Offsets [start, end) of the requested page in a list of `total` items."""
        start = offset_of(self.after, field="after") + 1 if self.after is not None else 0
        end = offset_of(self.before, field="before") if self.before is not None else total
        start, end = min(start, total), max(min(end, total), 0)
        end = max(end, start)
        if self.first is not None:
            end = min(end, start + self.first)
        if self.last is not None:
            start = max(start, end - self.last)
        if self.first is None and self.last is None:
            end = min(end, start + MAX_PAGE)
        return start, end


def connection(items: Sequence[T], *, start: int, total: int) -> Connection[T]:
    """A page built from its items, which start at offset `start` of a list of `total`."""
    edges = [Edge(cursor=cursor_of(start + index), node=item) for index, item in enumerate(items)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + len(items) < total,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def page_of_list(items: Sequence[T], args: PageArgs) -> Connection[T]:
    """Page a list already loaded (children of one parent, fetched in a batch)."""
    start, end = args.window(len(items))
    return connection(items[start:end], start=start, total=len(items))


async def page_of_select(
    session: AsyncSession, query: SelectOfScalar[M], args: PageArgs, *order: Any
) -> tuple[Sequence[M], int, int]:
    """One page of a select, counted and sliced in SQL: (rows, offset of the first, total)."""
    total = int((await session.exec(select(func.count()).select_from(query.subquery()))).one())
    start, end = args.window(total)
    if end <= start:
        return [], start, total
    rows = (await session.exec(query.order_by(*order).offset(start).limit(end - start))).all()
    return rows, start, total
