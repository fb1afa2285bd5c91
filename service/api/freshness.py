"""Read-your-writes as a dependency: a read given a command's position waits until its projections have it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import Header, Query

from service.api.deps import RuntimeDep
from service.api.problems import Problem
from service.domain.errors import DomainError
from service.events import EventStore
from service.projections import sql as projection_sql
from service.projections.waiting import Lagging, wait_for_position
from service.runtime import Runtime

_LAST_POSITION = 2**63 - 1  # a bigint: a position beyond it never comes, so asking for one is a 422, not a wait
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=_LAST_POSITION,
        description="Global position from a command's X-Position: wait until this read includes it.",
    ),
]
MinPositionHeader = Annotated[
    int | None, Header(ge=0, le=_LAST_POSITION, description="Same as the min_position query parameter.")
]
# The route decorator's `responses` for every read that depends on `fresh`.
LAGGING: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "min_position not reached in time (problem projection-lagging), a projection it waits for "
        "fails on an event (problem projection-failing), or the read tables are being rebuilt for this version of "
        "kamplan (problem projection-rebuilding)"
    }
}


async def within_log(store: EventStore, position: int, field: str) -> None:
    """422 `out-of-range` for a position past the log's head: no event has it yet (a read's `min_position`, where a
    webhook starts or replays from)."""
    head = await store.head_position()
    if position > head:
        raise DomainError("out-of-range", f"{field} {position} is past the log's head ({head})", field=field, head=head)


def fresh(*projections: str) -> Callable[..., Awaitable[int | None]]:
    """A dependency for reads of `projections`; 503 `projection-lagging` with Retry-After when time runs out, and
    422 `out-of-range` at once for a position past the log's head, which no wait would reach."""

    async def wait(
        runtime: RuntimeDep, min_position: MinPosition = None, x_min_position: MinPositionHeader = None
    ) -> int | None:
        await built(runtime, projections)
        wanted = [p for p in (min_position, x_min_position) if p is not None]
        if not wanted:
            return None
        target = max(wanted)
        # every write answers a committed position: no wait would ever see one past the head
        await within_log(runtime.store, target, "min_position" if target == min_position else "x-min-position")
        await caught_up(runtime, projections, target)
        return target

    return wait


async def built(runtime: Runtime, projections: Sequence[str]) -> None:
    """503 `projection-rebuilding` while a projection's live tables are of an older version than this code's: after an
    upgrade that changed them, the new version is built beside the old one and switched in when it has caught up, and
    until then this code's queries would not find its columns."""
    if runtime.built.issuperset(projections):
        return
    ours = {p.name: p.version for p in runtime.projections}
    async with runtime.pool.acquire() as conn:
        live = {r["name"]: r["version"] for r in await conn.fetch(projection_sql.LIVE_VERSIONS, list(projections))}
    older = sorted(name for name in projections if live.get(name, 0) < ours[name])
    if older:
        raise Problem(
            503,
            "/problems/projection-rebuilding",
            "Being rebuilt",
            f"the read tables of {', '.join(older)} are being rebuilt for this version of kamplan by its projection "
            "runner (kamplan serve, or kamplan worker where serve has KAMPLAN_PROJECTIONS=off); retry shortly",
            headers={"Retry-After": "5"},
            projections=older,
        )
    runtime.built.update(projections)


async def caught_up(runtime: Runtime, projections: Sequence[str], target: int) -> None:
    """Wait, bounded, until `projections` have applied `target`; 503 `projection-lagging` when time runs out, or
    `projection-failing` when one of those still behind fails on its events (retrying soon will not help)."""
    await built(runtime, projections)
    try:
        await wait_for_position(runtime.pool, projections, target, runtime.settings.read_wait_seconds)
    except Lagging as lag:
        if lag.failing:
            raise _failing(lag) from lag
        raise Problem(
            503,
            "/problems/projection-lagging",
            "Not caught up yet",
            f"{lag}; retry shortly",
            headers={"Retry-After": "1"},
            min_position=target,
            behind=lag.behind,
        ) from lag


def _failing(lag: Lagging) -> Problem:
    parts = []
    for name, f in sorted(lag.failing.items()):
        at = f.get("first_position")
        where = "" if at is None else f" on the events at positions {at} to {f['last_position']}"
        parts.append(f"{name} has failed {f['attempts']} time(s) since {f['since']}{where} ({f['error']})")
    return Problem(
        503,
        "/problems/projection-failing",
        "Projection failing",
        f"{'; '.join(parts)}: its views stay at the position they reached until an operator mends it (the error's "
        "text is in the service's log); writes are not affected",
        headers={"Retry-After": "30"},
        min_position=lag.target,
        behind=lag.behind,
        failing=lag.failing,
    )
