"""Running a service for a mutation: one transaction, committed only if the service succeeds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tracker.api.core.context import Info

R = TypeVar("R")


async def perform(info: Info, service: Callable[..., Awaitable[R]], **arguments: Any) -> R:
    context = info.context
    async with context.writing() as session:
        result = await service(session, actor=context.principal, **arguments)
    await context.forget_loaded()
    return result
