"""Commands that must not give up after the handler's few attempts: writers that routinely race on one stream
(the ERP's bursts to one account from several processes, many subscriptions disabled at once)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from service.events.errors import ConcurrencyError, WrongExpectedVersion

T = TypeVar("T")


async def until_it_lands(run: Callable[[], Awaitable[T]], *, rounds: int, pause: Callable[[int], float]) -> T:
    """`run()` (each call the handler's own attempts), again after `pause(round)` seconds while it loses races,
    `rounds` times in all; the last round's conflict is raised. Only for commands whose retry is safe."""
    for round_ in range(1, rounds):
        try:
            return await run()
        except (WrongExpectedVersion, ConcurrencyError):
            await asyncio.sleep(pause(round_))
    return await run()
