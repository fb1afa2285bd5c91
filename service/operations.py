"""Long-running operations behind the CLI: the projection worker, a rebuild with progress, the schema doc."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time

import asyncpg

from service.config import Settings
from service.logs import error_line, handles_event_data
from service.projections import generations as gens
from service.projections import registry, sql
from service.projections.docs import render
from service.projections.generations import BUILDING, LIVE, RETIRED, Generation
from service.projections.model import Projection
from service.projections.runner import Progress, ProjectionFailed, ProjectionRunner, Retired
from service.runtime import Runtime

log = handles_event_data(logging.getLogger(__name__))  # errors here may quote event data
FOLLOW_SECONDS = 1.0  # how often a rebuild following another process's build prints its progress and tries the lease


async def work(settings: Settings, database_url: str) -> None:
    """`kamplan worker`: apply projections and deliver webhooks until the process is stopped."""
    runtime = await Runtime.open(settings, database_url)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):  # handled by the loop, between callbacks, not mid-I/O
        loop.add_signal_handler(signum, stopping.set)
    try:
        runtime.start_projections()
        runtime.start_webhooks()
        await stopping.wait()
        log.info("stopping: projections finish their batch transaction or roll it back")
    finally:
        await runtime.close()


def _print_progress(progress: Progress, whose: str = "") -> None:
    share = progress.position / progress.head if progress.head else 1.0
    print(
        f"{progress.name} generation {progress.generation} ({progress.status}): "
        f"{progress.position:,} / {progress.head:,} events ({share:.1%}), {progress.events_per_second:,.0f} events/s"
        + (f"; {whose}" if whose else ""),
        file=sys.stderr,
        flush=True,
    )


async def rebuild(settings: Settings, database_url: str, name: str) -> int:
    """`kamplan rebuild NAME`: build a new generation from zero and switch to it when it has caught up."""
    runtime = await Runtime.open(settings, database_url)
    try:
        projection = registry.by_name(runtime.projections, name)
        started = time.monotonic()
        try:
            async with runtime.pool.acquire() as conn:
                generation = await gens.start_rebuild(conn, projection)
        except gens.NewerVersion as newer:
            print(str(newer), file=sys.stderr)
            return 1
        print(f"building {name} generation {generation.generation} beside the live one", file=sys.stderr)
        lease = await _try_lease(runtime, name, generation.generation)
        taking_over = lease is None
        if lease is None:  # another process builds it, or held its lease key a moment (a forget emptying it)
            followed = await _follow(runtime, name, generation.generation)
            if isinstance(followed, str):
                generation = generation.at(generation.position, followed)
            else:
                lease = followed
        if lease is not None:
            try:
                generation = await _build(runtime, projection, generation, lease, taking_over)
            except ProjectionFailed as failed:  # one line here; the traceback goes to the log
                log.error("rebuilding %s failed", name, exc_info=failed)
                cause = "" if failed.__cause__ is None else f": {error_line(failed.__cause__, event_data=True)}"
                print(  # the cause's class, not its text unless it is kamplan's: it may quote an event's data
                    f"{failed}{cause}. The live generation serves on; the new one takes "
                    f"up again at position {failed.first} when the rebuild is run again (a running serve retries it)",
                    file=sys.stderr,
                )
                return 1
        if generation.status != LIVE:
            print(
                f"{name} generation {generation.generation} was given up: a process running a newer version of "
                f"{name} builds its own (see /readyz); run the rebuild with that version",
                file=sys.stderr,
            )
            return 1
        print(f"{name} generation {generation.generation} is live ({time.monotonic() - started:.1f}s)")
        return 0
    finally:
        await runtime.close()


async def _try_lease(runtime: Runtime, name: str, generation: int) -> asyncpg.Connection | None:
    """A pooled connection holding the generation's lease, as the runner takes it; None while a process holds it."""
    conn = await runtime.pool.acquire()
    try:
        if await conn.fetchval(sql.TRY_LEASE, name, generation):
            return conn
    except BaseException:
        await runtime.pool.release(conn)
        raise
    await runtime.pool.release(conn)
    return None


async def _build(
    runtime: Runtime, projection: Projection, generation: Generation, lease: asyncpg.Connection, taking_over: bool
) -> Generation:
    """Build the leased generation on from its checkpoint until it is live: the generation as it ended. Another process
    may have applied it before it was ours, even switched it live or had it retired. ProjectionFailed propagates."""
    try:
        row = await lease.fetchrow(sql.CHECKPOINT, projection.name, generation.generation)
    except BaseException:
        await runtime.pool.release(lease)  # the pool's reset lets the lease go
        raise
    generation = generation.at(row["position"], row["status"])
    if generation.status != BUILDING:
        await runtime.pool.release(lease)
        return generation
    if taking_over:
        print(
            f"no process builds it any more: taking generation {generation.generation} over at position "
            f"{generation.position:,}",
            file=sys.stderr,
        )
    runner = ProjectionRunner(runtime.store, [projection], on_progress=_print_progress, **runtime.runner_options())
    try:
        await runner.build(projection, generation, lease)  # forgets its caches, as a new lease holder; releases lease
    except Retired:
        return generation.at(generation.position, RETIRED)
    return generation.at(generation.position, LIVE)


async def _follow(runtime: Runtime, name: str, generation: int) -> asyncpg.Connection | str:
    """Another process's build, until it is live or retired (given up for a newer version's): that status. Or until no
    process holds its lease any more (it crashed or was stopped, or a forget's transaction held the key a moment):
    then the lease, to take the build over, which without it nobody would finish (a running worker of this version
    may get there first: then this one follows that one)."""
    print(
        "another process is building it; following its progress, and taking it over should that process go away",
        file=sys.stderr,
    )
    seen: tuple[float, int] | None = None  # when and where following began, for the rate
    while True:
        async with runtime.pool.acquire() as conn:
            row = await conn.fetchrow(sql.CHECKPOINT, name, generation)
            holder = await conn.fetchrow(sql.LEASE_HOLDER, name, generation)
            head = await runtime.store.head_position()
        if row["status"] != BUILDING:
            return str(row["status"])
        if (lease := await _try_lease(runtime, name, generation)) is not None:  # the holder's word is only for show
            return lease
        now, position = time.monotonic(), row["position"]
        seen = seen or (now, position)
        rate = (position - seen[1]) / max(now - seen[0], 1e-9)
        _print_progress(Progress(name, generation, BUILDING, position, head, rate), _whose(holder))
        await asyncio.sleep(FOLLOW_SECONDS)


def _whose(holder: asyncpg.Record | None) -> str:
    """Whose build it follows: the server process holding its lease (pg_stat_activity), and from where."""
    if holder is None:
        return "its lease was let go a moment ago"
    said = f"lease held by server process {holder['pid']}"
    if holder["application_name"]:
        said += f", application {holder['application_name']}"
    return said + (f", from {holder['client']}" if holder["client"] else "")


async def read_schema(settings: Settings, database_url: str) -> str:
    """Create every projection's views if missing, then document them from the catalog."""
    runtime = await Runtime.open(settings, database_url)
    try:
        async with runtime.pool.acquire() as conn:
            for projection in runtime.projections:
                await gens.ensure(conn, projection)
            return await render(conn)
    finally:
        await runtime.close()
