"""Projection rebuild throughput and memory against a read-and-decode baseline; projection lag under load.

    python bench/rebuild.py [--accounts 10000] [--events 1000000] [--lag-seconds 10]

Uses the server of DATABASE_URL (a throwaway database is created and dropped there) or, when unset, an
embedded PostgreSQL 18 in a temporary directory, deleted afterwards (bench/throwaway.py). Prints JSON.

1. Fills the log with the domain's own events (interactions logged 50%, dossier answers 25%, buying-center
   contacts 15%, account classifications 10%) over `--accounts` accounts, measuring at 25% and 100% of
   `--events`:
     rebuild       `kamplan rebuild audit_log`'s code path: a new generation from position zero, switched live
     interactions  the same for the `interactions` projection (half the log is of its types), which folds
                   each stream with the domain's evolve
     baseline      reading the same events from PostgreSQL in the same batches and decoding their JSON
   with the peak resident memory of this process during each rebuild, and its growth above the level at the
   start of the rebuild (flat from 250k to 1M events = streaming).
2. Projection lag: the audit log applied live in this process while 8 tasks append for `--lag-seconds`;
   lag = from an append's commit to its projection checkpoint passing it (p50, p99).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import psutil

from bench import throwaway
from service.commands.aggregates import encode
from service.config import Settings
from service.db.migrate import migrate
from service.db.pool import create_pool
from service.domain.account.events import AccountClassified
from service.domain.account.state import KeyCriterion
from service.domain.buying_center.events import ContactRecorded
from service.domain.dossier.events import AnswerRecorded
from service.domain.dossier.state import Confidence
from service.domain.interaction import model as im
from service.events import ANY, EventStore, NewEvent, StreamAppend
from service.projections import generations as gens
from service.projections import sql as psql
from service.projections.audit import AuditLog
from service.projections.interactions import Interactions
from service.projections.runner import ProjectionRunner


def _interaction(r: random.Random, account: str) -> tuple[str, str, Any]:
    day = date(2026, 1, 1) + timedelta(days=r.randint(0, 320))
    details = im.Details(
        kind=r.choice(list(im.InteractionKind)),
        occurred_on=day,
        participants=(str(uuid.UUID(int=r.getrandbits(128))),),
        our_participants=("kam-0042",),
        summary="Discussed delivery terms and the trial of the new filters. " * 2,
        outcome="They want a cost calculation per truck",
        next_step="Send the calculation",
        next_step_due=day + timedelta(days=14),
    )
    interaction_id = str(uuid.UUID(int=r.getrandbits(128)))
    event = im.InteractionLogged(interaction_id=interaction_id, account_id=account, details=details)
    return f"interaction-{interaction_id}", "interaction", event


def _answer(r: random.Random, account: str) -> tuple[str, str, Any]:
    event = AnswerRecorded(
        account_id=account,
        question_code=r.choice(["headcount", "revenue", "tenders", "seasonality", "main_competitor"]),
        about=None,
        value=r.randint(1, 10**6),
        source="meeting with the procurement director",
        learned_on=date(2026, 1, 1) + timedelta(days=r.randint(0, 320)),
        confidence=Confidence.HIGH,
        template_version=1,
    )
    return f"dossier-{account}", "dossier", event


def _contact(r: random.Random, account: str) -> tuple[str, str, Any]:
    event = ContactRecorded(
        member_id=str(uuid.UUID(int=r.getrandbits(128))),
        on=date(2026, 1, 1) + timedelta(days=r.randint(0, 320)),
        interaction_id=str(uuid.UUID(int=r.getrandbits(128))),
    )
    return f"buying-center-{account}", "buying_center", event


def _classified(r: random.Random, account: str) -> tuple[str, str, Any]:
    event = AccountClassified(
        criteria=frozenset({KeyCriterion.LARGE, KeyCriterion.PROMISING}),
        can_influence=True,
        influence_reason="Their engineers ask us to co-design the next filter",
    )
    return f"account-{account}", "account", event


MIX = [(_interaction, 50), (_answer, 25), (_contact, 15), (_classified, 10)]  # the domain's events, by weight
METADATA = {
    "actor": "kam-0042",
    "actor_role": "manager",
    "actor_team": "volga",
    "request_id": "r" * 32,
    "correlation_id": "r" * 32,
    "source": "api",
}


def _appends(rng: random.Random, account: str, count: int) -> list[StreamAppend]:
    """`count` domain events of one account, grouped by stream: interactions, dossier, buying center, account."""
    makers = [make for make, weight in MIX for _ in range(weight)]
    streams: dict[tuple[str, str], list[NewEvent]] = {}
    for _ in range(count):
        stream_id, stream_type, event = rng.choice(makers)(rng, account)
        streams.setdefault((stream_id, stream_type), []).append(encode(event))
    return [
        StreamAppend(stream_id=stream_id, stream_type=stream_type, expected_version=ANY, events=events)
        for (stream_id, stream_type), events in streams.items()
    ]


async def fill(store: EventStore, accounts: int, upto: int) -> None:
    """Append until the log holds `upto` events, 100 per append, 16 appenders, spread over the accounts."""
    start = await store.head_position()
    todo = max(upto - start, 0)

    async def worker(w: int) -> None:
        rng = random.Random(w * 7919 + start)
        for n in range(w, todo // 100, 16):
            await store.append_many(_appends(rng, f"a{(n * 37) % accounts}", 100), METADATA)

    await asyncio.gather(*(worker(w) for w in range(16)))


class PeakMemory:
    """Peak resident memory of this process while the block runs, and how much above its level at the start."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = self.start = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def growth(self) -> int:
        return self.peak - self.start

    async def __aenter__(self) -> PeakMemory:
        self.start = self.peak = self.process.memory_info().rss

        async def sample() -> None:
            while True:
                self.peak = max(self.peak, self.process.memory_info().rss)
                await asyncio.sleep(0.05)

        self._task = asyncio.create_task(sample())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.peak = max(self.peak, self.process.memory_info().rss)


async def rebuild(store: EventStore, projection: Any) -> tuple[float, PeakMemory]:
    async with store.pool.acquire() as conn:
        generation = await gens.start_rebuild(conn, projection)
    lease = await store.pool.acquire()
    assert await lease.fetchval(psql.TRY_LEASE, projection.name, generation.generation)
    started = time.perf_counter()
    async with PeakMemory() as memory:
        await ProjectionRunner(store, [projection], build_batch_size=BATCH).build(projection, generation, lease)
    return time.perf_counter() - started, memory


READ_BATCH = "SELECT position, data, metadata FROM events WHERE position > $1 ORDER BY position LIMIT $2"
BATCH = Settings().projection_build_batch_size  # events per batch on both sides: KAMPLAN_PROJECTION_BUILD_BATCH_SIZE


async def read_and_decode(pool: asyncpg.Pool) -> float:
    """The baseline: the same events, read in the same batches, JSON decoded (by the pool's jsonb codec)."""
    started, position = time.perf_counter(), 0
    async with pool.acquire() as conn:
        while rows := await conn.fetch(READ_BATCH, position, BATCH):
            position = rows[-1]["position"]
    return time.perf_counter() - started


async def lag_under_load(store: EventStore, seconds: float) -> dict[str, Any]:
    runner_task = asyncio.create_task(ProjectionRunner(store, [AuditLog()], poll_seconds=0.2).run())
    head = await store.head_position()
    while (await _checkpoint(store)) < head:  # noqa: ASYNC110 - polling the database, not a local flag
        await asyncio.sleep(0.1)
    appended: list[tuple[int, float]] = []
    seen: list[tuple[float, int]] = []
    stop = time.monotonic() + seconds

    async def appender(w: int) -> None:
        rng = random.Random(w)
        while time.monotonic() < stop:
            result = await store.append_many(_appends(rng, f"a{rng.randint(0, 999)}", 1), METADATA)
            appended.append((result.position, time.monotonic()))
            await asyncio.sleep(0.005)

    async def watcher() -> None:
        while time.monotonic() < stop + 5:
            seen.append((time.monotonic(), await _checkpoint(store)))
            await asyncio.sleep(0.002)

    await asyncio.gather(watcher(), *(appender(w) for w in range(8)))
    runner_task.cancel()
    lags = []
    for position, at in appended:
        applied = next((t for t, checkpoint in seen if checkpoint >= position and t >= at), None)
        if applied is not None:
            lags.append((applied - at) * 1000)
    lags.sort()
    return {
        "appends": len(appended),
        "appends_per_second": round(len(appended) / seconds),
        "applied": len(lags),
        "lag_ms_p50": round(statistics.median(lags), 1),
        "lag_ms_p99": round(lags[int(len(lags) * 0.99) - 1], 1),
    }


async def _checkpoint(store: EventStore) -> int:
    async with store.pool.acquire() as conn:
        return (
            await conn.fetchval(
                "SELECT position FROM projection_generations WHERE name = 'audit_log' AND status = 'live'"
            )
            or 0
        )


async def bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    await migrate(url)
    pool = await create_pool(url, role="kamplan_app", min_size=4, max_size=24)
    store = EventStore(pool)
    async with pool.acquire() as conn:
        await gens.ensure(conn, AuditLog())
        await gens.ensure(conn, Interactions(store.upcasters))
        server = await conn.fetchval("SHOW server_version")
    sizes = []
    for upto in (args.events // 4, args.events):
        started = time.perf_counter()
        await fill(store, args.accounts, upto)
        filled = time.perf_counter() - started
        events = await store.head_position()
        baseline_seconds = await read_and_decode(pool)
        rebuild_seconds, memory = await rebuild(store, AuditLog())
        domain_seconds, domain_memory = await rebuild(store, Interactions(store.upcasters))
        baseline_again = await read_and_decode(pool)  # before and after: drift shows, and is averaged out
        baseline = (baseline_seconds + baseline_again) / 2
        sizes.append(
            {
                "events": events,
                "fill_events_per_second": round((upto - (sizes[-1]["events"] if sizes else 0)) / filled),
                "rebuild_events_per_second": round(events / rebuild_seconds),
                "baseline_read_decode_events_per_second": round(events / baseline),
                "rebuild_vs_baseline": round(baseline / rebuild_seconds, 2),
                "rebuild_peak_rss_mb": round(memory.peak / 2**20, 1),
                "rebuild_rss_growth_mb": round(memory.growth / 2**20, 1),
                "interactions_rebuild_events_per_second": round(events / domain_seconds),
                "interactions_rebuild_vs_baseline": round(baseline / domain_seconds, 2),
                "interactions_rebuild_peak_rss_mb": round(domain_memory.peak / 2**20, 1),
                "interactions_rebuild_rss_growth_mb": round(domain_memory.growth / 2**20, 1),
            }
        )
        print(json.dumps(sizes[-1]), file=sys.stderr, flush=True)
    lag = await lag_under_load(store, args.lag_seconds)
    await store.close()
    await pool.close()
    return {
        "benchmark": "rebuild",
        "postgres": server,
        "cpus": os.cpu_count(),
        "accounts": args.accounts,
        "rebuild": sizes,
        "projection_lag_under_load": lag,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000, help="accounts the events are spread over")
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the log at the last measure")
    parser.add_argument("--lag-seconds", type=float, default=10.0, help="length of the projection-lag run")
    arguments = parser.parse_args()
    print(json.dumps(throwaway.run(lambda url: bench(url, arguments)), indent=2))
