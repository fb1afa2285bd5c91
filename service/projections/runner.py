"""Applies projections from the log, exactly once, with the checkpoint in the same transaction as the writes.

Every (projection, generation) is applied by at most one process: a session advisory lock (the lease)
is held for as long as the process applies it, and is released by PostgreSQL when the process dies, so
another process takes over. Inside each batch transaction the checkpoint row is locked and compared
with the position the batch starts from: a second writer could never apply the same events twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import asyncpg

from service.events import Envelope, EventStore, RecordedEvent
from service.events.reading import Batch, RangeReader, envelopes_of, events_of
from service.logs import handles_event_data
from service.metrics import PROJECTION_EVENTS_APPLIED, PROJECTION_FAILURES, PROJECTION_POSITION
from service.projections import forgetting, sql, unrun_builds, unrun_live
from service.projections import generations as gens
from service.projections.generations import BUILDING, LIVE, Generation
from service.projections.model import Projection, TableNames

log = handles_event_data(logging.getLogger(__name__))  # errors here may quote event data

T = TypeVar("T")


class Retired(Exception):
    """The generation was switched away (or another process moved its checkpoint): stop applying it."""


class ProjectionFailed(Exception):
    """A projection's apply raised on a batch: which projection, generation and positions, the error its cause.
    Nothing of the batch was written, and the checkpoint stays before it, so the batch is tried again."""

    def __init__(self, name: str, generation: int, first: int, last: int) -> None:
        self.name, self.generation, self.first, self.last = name, generation, first, last
        super().__init__(f"{name} generation {generation} failed on the events at positions {first} to {last}")


@dataclass(frozen=True, slots=True)
class Progress:
    name: str
    generation: int
    status: str
    position: int
    head: int
    events_per_second: float


class ProjectionRunner:
    """Supervises every projection: leases what needs applying, builds new generations, switches them live."""

    def __init__(
        self,
        store: EventStore,
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
        build_batch_size: int = 5000,
        poll_seconds: float = 1.0,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self.build_batch_size = build_batch_size
        self.poll_seconds = poll_seconds
        self.on_progress = on_progress
        self._tasks: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._ensured: set[str] = set()
        self._ahead = forgetting.AheadOfFailures(store.upcasters)
        self._newer_live = unrun_live.NewerLive()

    async def run(self) -> None:
        """Forever: every `poll_seconds`, lease and start whatever this process can apply."""
        try:
            while True:
                for projection in self.projections:
                    try:
                        await self._claim(projection)
                    except Exception:  # never let one projection's trouble stop the others
                        log.exception("projection %s: supervision failed; retrying", projection.name)
                await asyncio.sleep(self.poll_seconds)
        finally:
            for task in self._tasks.values():
                task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _claim(self, projection: Projection) -> None:
        async with self.store.pool.acquire() as conn:
            if projection.name not in self._ensured:  # creates tables, or a build when this code is newer
                await gens.ensure(conn, projection)
                self._ensured.add(projection.name)
            generations = await gens.current(conn, projection.name)
            for generation in generations:
                key = (projection.name, generation.generation)
                if generation.version != projection.version or (key in self._tasks and not self._tasks[key].done()):
                    continue  # another version's code owns it, or this process is applying it already
                self._tasks[key] = asyncio.create_task(self.apply(projection, generation))
            # builds of another version that owe a forget, their holder gone: after the claims, never holding them up
            await unrun_builds.empty_owing_builds(conn, projection, generations)
            await self._newer_live.reach(conn, projection, generations)  # a live one of a newer version, rolled back

    async def apply(self, projection: Projection, generation: Generation) -> None:
        """Lease a generation and apply it until it is retired; failures are logged and retried later.

        The connection is taken inside the task, so that a task cancelled before it ever ran (a shutdown
        right after a claim) cannot leave a connection out of the pool, which would hang the pool's close.
        """
        async with self.store.pool.acquire() as lease:
            if not await lease.fetchval(sql.TRY_LEASE, projection.name, generation.generation):
                return  # another process applies it
            _leased(projection)
            try:
                start = await lease.fetchrow(sql.CHECKPOINT, projection.name, generation.generation)
                generation = generation.at(start["position"], start["status"])
                await self._follow(projection, generation, lease, until_live=False)
            except Retired:
                log.info("projection %s generation %d retired", projection.name, generation.generation)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                PROJECTION_FAILURES.labels(projection.name).inc()
                log.exception("projection %s generation %d failed; will retry", projection.name, generation.generation)
                await _record_failure(lease, projection.name, generation.generation, error)
                await self._ahead.apply(lease, projection, generation.generation)  # forgets its batch holds back
                await asyncio.sleep(self.poll_seconds * 5)
            finally:  # the pool's reset on release unlocks too, should this fail on a broken connection
                with contextlib.suppress(Exception):
                    await lease.fetchval(sql.RELEASE_LEASE, projection.name, generation.generation)

    async def build(self, projection: Projection, generation: Generation, lease: asyncpg.Connection) -> None:
        """Apply a leased building generation until it goes live; errors propagate (the CLI's rebuild)."""
        _leased(projection)
        try:
            await self._follow(projection, generation, lease, until_live=True)
        except Retired:
            raise
        except Exception as error:  # reported by /readyz of every process too, as a failure of `apply` is
            await _record_failure(lease, projection.name, generation.generation, error)
            raise
        finally:
            try:
                await lease.fetchval(sql.RELEASE_LEASE, projection.name, generation.generation)
            finally:
                await self.store.pool.release(lease)

    async def _follow(
        self, projection: Projection, generation: Generation, lease: asyncpg.Connection, until_live: bool
    ) -> None:
        names = gens.table_names(projection, generation.generation)
        size = self.build_batch_size if generation.status == BUILDING else self.batch_size
        meter = _Meter(self, projection.name, generation)
        name = f"projection:{projection.name}:g{generation.generation}"
        indexed = generation.status == LIVE
        read: RangeReader[Envelope] | RangeReader[RecordedEvent] = (
            envelopes_of(projection.event_types)  # a projection of envelopes skips reading the payloads
            if not getattr(projection, "payloads", True)
            else events_of(self.store.upcasters, projection.event_types)
        )
        batches = read_ahead(self.store.follow(generation.position, read, batch_size=size, name=name))
        async with contextlib.aclosing(batches):  # however this ends, the subscription ends with it
            async for batch in batches:
                if batch.through > generation.position:
                    generation = await self._apply_batch(projection, generation, lease, names, batch)
                    await meter.tick(generation)
                elif not batch.full:  # caught up, about to wait: a switch elsewhere may have retired it meanwhile
                    await _ensure_current(lease, projection, generation)
                if generation.status != BUILDING or batch.full:
                    continue
                if not indexed:  # caught up: now build the secondary indexes, then catch up the rest
                    await gens.index(lease, projection, generation)
                    indexed = True
                    continue
                if await gens.switch(lease, projection, generation):
                    log.info("projection %s generation %d is live", projection.name, generation.generation)
                    generation = generation.at(generation.position, LIVE)
                    await meter.tick(generation, force=True)
                    if until_live:
                        return

    async def _apply_batch(
        self,
        projection: Projection,
        generation: Generation,
        lease: asyncpg.Connection,
        names: TableNames,
        batch: Batch[RecordedEvent] | Batch[Envelope],
    ) -> Generation:
        """Apply the batch's events (only those of the projection's types were read) and move the checkpoint to
        where the read got, in one transaction. A forget among them also empties the builds of another version that
        no process runs (`unrun_builds`): their code is not here to apply it."""
        emptied: list[int] = []
        async with lease.transaction():
            await lease.execute(sql.ASYNC_COMMIT)
            row = await lease.fetchrow(sql.LOCK_CHECKPOINT, projection.name, generation.generation)
            if row["status"] not in (LIVE, BUILDING) or row["position"] != generation.position:
                raise Retired()
            if batch.events:
                try:
                    await projection.apply(lease, names, batch.events)
                except Exception as error:
                    first, last = batch.events[0].position, batch.events[-1].position
                    raise ProjectionFailed(projection.name, generation.generation, first, last) from error
                if (forget := forgetting.forgotten_at(projection, batch.events)) is not None:
                    emptied = await unrun_builds.empty_unrun_builds(lease, projection, forget)
            await lease.execute(sql.ADVANCE, projection.name, generation.generation, batch.through, len(batch.events))
        if emptied:
            unrun_builds.report(projection, emptied, forget)
        PROJECTION_EVENTS_APPLIED.labels(projection.name).inc(len(batch.events))
        PROJECTION_POSITION.labels(projection.name, generation.status).set(batch.through)
        return generation.at(batch.through, row["status"])


async def _ensure_current(lease: asyncpg.Connection, projection: Projection, generation: Generation) -> None:
    """Retired unless the generation is still live or building: a retired one lets its lease and connection go
    now, not when the next event comes (on a quiet system, that could be long after every switch)."""
    row = await lease.fetchrow(sql.CHECKPOINT, projection.name, generation.generation)
    if row is None or row["status"] not in (LIVE, BUILDING):
        raise Retired()


async def _record_failure(lease: asyncpg.Connection, name: str, generation: int, error: Exception) -> None:
    """Keep the failure with the checkpoint, where /readyz of every process reads it. Only the error's class and the
    batch's positions: the text may quote an event's data, and /readyz answers without a token. Best effort: on a
    broken connection the caller's log line is all there is."""
    first = last = None
    if isinstance(error, ProjectionFailed):
        first, last = error.first, error.last
        error = error.__cause__ if isinstance(error.__cause__, Exception) else error
    with contextlib.suppress(Exception):
        await lease.execute(sql.RECORD_FAILURE, name, generation, type(error).__name__, first, last)


def _leased(projection: Projection) -> None:
    if (leased := getattr(projection, "leased", None)) is not None:
        leased()


async def read_ahead(source: AsyncGenerator[T, None]) -> AsyncGenerator[T, None]:
    """Fetch the next item while the caller works on this one: reading overlaps applying."""
    iterator = source.__aiter__()
    pending: asyncio.Future[T] = asyncio.ensure_future(iterator.__anext__())
    try:
        while True:
            try:
                item = await pending
            except StopAsyncIteration:
                return
            pending = asyncio.ensure_future(iterator.__anext__())
            yield item
    finally:
        pending.cancel()
        with contextlib.suppress(BaseException):
            await pending
        await source.aclose()


class _Meter:
    """Progress for long builds: events done / head, and the rate, at most once a second."""

    def __init__(self, runner: ProjectionRunner, name: str, generation: Generation) -> None:
        self.runner, self.name = runner, name
        self.started, self.from_position, self.last = time.monotonic(), generation.position, 0.0

    async def tick(self, generation: Generation, force: bool = False) -> None:
        now = time.monotonic()
        if self.runner.on_progress is None or (not force and now - self.last < 1.0):
            return
        self.last = now
        head = await self.runner.store.head_position()
        rate = (generation.position - self.from_position) / max(now - self.started, 1e-9)
        self.runner.on_progress(
            Progress(self.name, generation.generation, generation.status, generation.position, head, rate)
        )
