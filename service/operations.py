"""Long-running operations behind the CLI: the projection worker, a rebuild with progress, the schema doc."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time

from service.config import Settings
from service.logs import error_line, handles_event_data
from service.projections import generations as gens
from service.projections import registry, sql
from service.projections.docs import render
from service.projections.generations import BUILDING, LIVE, RETIRED
from service.projections.runner import Progress, ProjectionFailed, ProjectionRunner, Retired
from service.runtime import Runtime

log = handles_event_data(logging.getLogger(__name__))  # errors here may quote event data


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


def _print_progress(progress: Progress) -> None:
    share = progress.position / progress.head if progress.head else 1.0
    print(
        f"{progress.name} generation {progress.generation} ({progress.status}): "
        f"{progress.position:,} / {progress.head:,} events ({share:.1%}), {progress.events_per_second:,.0f} events/s",
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
        lease = await runtime.pool.acquire()
        if await lease.fetchval(sql.TRY_LEASE, name, generation.generation):
            # where it got now that it is ours: another process may have applied it, even switched or dropped it
            row = await lease.fetchrow(sql.CHECKPOINT, name, generation.generation)
            generation = generation.at(row["position"], row["status"])
            runner = ProjectionRunner(
                runtime.store, [projection], on_progress=_print_progress, **runtime.runner_options()
            )
            try:
                if generation.status == BUILDING:
                    await runner.build(projection, generation, lease)  # returns once it is live
                    generation = generation.at(generation.position, LIVE)
                else:
                    await runtime.pool.release(lease)
            except Retired:
                generation = generation.at(generation.position, RETIRED)
            except ProjectionFailed as failed:  # one line here; the traceback goes to the log
                log.error("rebuilding %s failed", name, exc_info=failed)
                cause = "" if failed.__cause__ is None else f": {error_line(failed.__cause__, event_data=True)}"
                print(  # the cause's class, not its text unless it is kamplan's: it may quote an event's data
                    f"{failed}{cause}. The live generation serves on; the new one takes "
                    f"up again at position {failed.first} when the rebuild is run again (a running serve retries it)",
                    file=sys.stderr,
                )
                return 1
        else:
            await runtime.pool.release(lease)
            print("another process is building it; following its progress", file=sys.stderr)
            generation = generation.at(generation.position, await _follow(runtime, name, generation.generation))
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


async def _follow(runtime: Runtime, name: str, generation: int) -> str:
    """Another process's build, until it is live or retired (given up for a newer version's): that status."""
    while True:
        async with runtime.pool.acquire() as conn:
            row = await conn.fetchrow(sql.CHECKPOINT, name, generation)
            head = await runtime.store.head_position()
        if row["status"] != BUILDING:
            return str(row["status"])
        _print_progress(Progress(name, generation, row["status"], row["position"], head, 0.0))
        await asyncio.sleep(1.0)


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
