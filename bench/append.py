"""Append throughput of the event store against plain asyncpg INSERTs, side by side in one run.

    python bench/append.py [--seconds 3] [--rounds 5] [--tasks 16] [--batch 100]

Uses the server of DATABASE_URL (a throwaway database is created and dropped there) or, when unset,
an embedded PostgreSQL 18 in a temporary directory, deleted afterwards (bench/throwaway.py). Prints JSON.

Workloads, each run by `--tasks` concurrent tasks on distinct streams:
  single  one event per append
  batch   `--batch` events per append
Contenders, interleaved round by round so that drift of this noisy machine hits all alike:
  store     EventStore.append (expected version checked, hash chain, group commit)
  baseline  plain INSERTs of rows of the same size into a table with only a primary key
  indexed   the same plain INSERTs into a table with the events table's two unique indexes too
            (context: how much of the gap is the indexes the store cannot do without)
  rowwise   the baseline's rows into a table like the baseline's, one INSERT statement per row
            (asyncpg executemany in one transaction; context: plain INSERTs not hand-merged into one
            bulk statement)
All use the server's default durability (synchronous_commit = on) and the same pool size, in a process
whose startup heap is frozen as `kamplan serve` freezes its own (service/heap.py). Each round starts
after a CHECKPOINT (when the role may run one).

Besides events/s, each contender's CPU time per event: this process's (the client) and, when the server
runs on this machine, its backends' (read from /proc). Client and server share the CPUs, so throughput
follows their sum, which is far steadier than throughput on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from prometheus_client import REGISTRY

from bench import throwaway
from service.db.migrate import migrate
from service.db.pool import create_pool
from service.events import NO_STREAM, EventStore, NewEvent, new_event_id
from service.events.codec import jsonb
from service.heap import freeze_startup_heap

DATA = {
    "kind": "meeting",
    "summary": "Discussed the fuel filter trial on the new engine line; engineers confirmed the pressure drop "
    "problem and asked for a lab report on the two candidate filters before the April review.",
    "participants": ["0190c2a4-5f0b-7c1e-9a51-1b2c3d4e5f60", "0190c2a4-5f0b-7c1e-9a51-1b2c3d4e5f61"],
    "outcome": "need confirmed",
    "next_step": {"what": "send lab report", "due": "2026-12-05"},
}
METADATA = {
    "actor": "kam-0042",
    "actor_role": "manager",
    "actor_team": "volga",
    "request_id": "9f1c2e7a4b5d4c3e8f9a0b1c2d3e4f5a",
    "correlation_id": "9f1c2e7a4b5d4c3e8f9a0b1c2d3e4f5a",
    "source": "api",
}

PLAIN_TABLE = """
CREATE TABLE {name} (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id text NOT NULL, stream_type text NOT NULL, stream_version bigint NOT NULL,
    event_id uuid NOT NULL, event_type text NOT NULL, schema_version integer NOT NULL,
    data jsonb NOT NULL, metadata jsonb NOT NULL, occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL, transaction_id xid8 NOT NULL, hash bytea NOT NULL {extra})
"""
INDEXES = ", UNIQUE (stream_id, stream_version), UNIQUE (event_id)"
INSERT_ROWS = """
INSERT INTO {name} (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data,
                    metadata, occurred_at, recorded_at, transaction_id, hash)
SELECT $1, 'interaction', v, id, 'InteractionLogged', 1, d, $5, $6, now(), pg_current_xact_id(), h
FROM unnest($2::bigint[], $3::uuid[], $4::jsonb[], $7::bytea[]) AS r(v, id, d, h)
"""
INSERT_ROW = """
INSERT INTO {name} (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data,
                    metadata, occurred_at, recorded_at, transaction_id, hash)
VALUES ($1, 'interaction', $2, $3, 'InteractionLogged', 1, $4, $5, $6, now(), pg_current_xact_id(), $7)
"""

BACKENDS = """
SELECT array_agg(pid) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'
"""
TICKS = os.sysconf("SC_CLK_TCK")

Appender = Callable[[str, int, int], Awaitable[None]]


def plain_appender(pool: asyncpg.Pool, table: str) -> Appender:
    one, many = INSERT_ROW.format(name=table), INSERT_ROWS.format(name=table)

    async def append(stream: str, version: int, count: int) -> None:
        now = datetime.now(UTC)
        async with pool.acquire() as conn:
            if count == 1:
                await conn.execute(one, stream, version + 1, new_event_id(), jsonb(DATA), jsonb(METADATA), now,
                                   os.urandom(32))  # fmt: skip
            else:
                await conn.execute(
                    many, stream, list(range(version + 1, version + count + 1)),
                    [new_event_id() for _ in range(count)], [jsonb(DATA) for _ in range(count)], jsonb(METADATA), now,
                    [os.urandom(32) for _ in range(count)],
                )  # fmt: skip

    return append


def rowwise_appender(pool: asyncpg.Pool, table: str) -> Appender:
    one = INSERT_ROW.format(name=table)

    async def append(stream: str, version: int, count: int) -> None:
        now, metadata = datetime.now(UTC), jsonb(METADATA)
        rows = [
            (stream, version + k, new_event_id(), jsonb(DATA), metadata, now, os.urandom(32))
            for k in range(1, count + 1)
        ]
        async with pool.acquire() as conn, conn.transaction():
            await conn.executemany(one, rows)

    return append


def store_appender(store: EventStore) -> Appender:
    async def append(stream: str, version: int, count: int) -> None:
        now = datetime.now(UTC)
        events = [NewEvent(event_type="InteractionLogged", data=DATA, occurred_at=now) for _ in range(count)]
        await store.append(stream, "interaction", version or NO_STREAM, events, METADATA)

    return append


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU of a PostgreSQL process on this machine; None when it is not here (a remote
    server, whose pids may name unrelated local processes)."""
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
            return None
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


async def _server_cpu(pool: asyncpg.Pool) -> dict[int, float]:
    async with pool.acquire() as conn:
        pids = await conn.fetchval(BACKENDS) or []
    return {pid: cpu for pid in pids if (cpu := _cpu_seconds(pid)) is not None}


async def _checkpoint(pool: asyncpg.Pool) -> None:
    """Flush the previous round's dirty pages first, so that no round pays for a checkpoint of another's
    writes (without it, one run's store/baseline ratios spread from 0.32 to 0.88). Needs a superuser or
    pg_checkpoint; without either, rounds simply start unflushed."""
    async with pool.acquire() as conn:
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CHECKPOINT")


class Round(NamedTuple):
    rate: float  # events/s
    cpu: dict[str, float]  # µs per event: "client", and "server" when the server is on this machine


async def measure(pool: asyncpg.Pool, append: Appender, tasks: int, batch: int, seconds: float) -> Round:
    await _checkpoint(pool)
    server_before, client_before = await _server_cpu(pool), time.process_time()
    rate, events = await run(append, tasks, batch, seconds)
    cpu = {"client": (time.process_time() - client_before) / events * 1e6}
    if server_after := await _server_cpu(pool):
        server = sum(used - server_before.get(pid, 0.0) for pid, used in server_after.items())
        cpu["server"] = server / events * 1e6
    return Round(rate, cpu)


def _cpu_medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    """Median µs per event of each side, and their sum when both were measured."""
    medians = {side: statistics.median(r[side] for r in rounds) for side in rounds[0]}
    if len(medians) == 2:
        medians["total"] = sum(medians.values())
    return {side: round(value, 1) for side, value in medians.items()}


def _median_ratio(rates: list[float], against: list[float]) -> float:
    """Median over rounds of one contender's rate over another's in the same round."""
    return round(statistics.median(r / a for r, a in zip(rates, against, strict=True)), 2)


async def run(append: Appender, tasks: int, batch: int, seconds: float) -> tuple[float, int]:
    """Events/s and events written."""
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        stream, version = f"bench-{uuid.uuid4()}", 0
        while time.perf_counter() < stop:
            await append(stream, version, batch)
            version += batch
            done += batch

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return done / (time.perf_counter() - started), done


def _batch_stats() -> tuple[float, float]:
    return (
        REGISTRY.get_sample_value("kamplan_append_batch_events_sum") or 0.0,
        REGISTRY.get_sample_value("kamplan_append_batch_events_count") or 0.0,
    )


async def bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    await migrate(url)
    pool = await create_pool(url, role=None, min_size=args.tasks, max_size=args.tasks + 4)
    async with pool.acquire() as conn:
        await conn.execute(PLAIN_TABLE.format(name="bench_plain", extra=""))
        await conn.execute(PLAIN_TABLE.format(name="bench_indexed", extra=INDEXES))
        await conn.execute(PLAIN_TABLE.format(name="bench_rowwise", extra=""))
        server = await conn.fetchval("SHOW server_version")
        durability = await conn.fetchval("SHOW synchronous_commit")
    store = EventStore(pool)
    freeze_startup_heap()  # as `kamplan serve` does once started; all contenders run after it
    contenders = {
        "store": store_appender(store),
        "baseline": plain_appender(pool, "bench_plain"),
        "indexed": plain_appender(pool, "bench_indexed"),
        "rowwise": rowwise_appender(pool, "bench_rowwise"),
    }
    results: dict[str, Any] = {}
    for workload, batch in (("single", 1), ("batch", args.batch)):
        rates: dict[str, list[float]] = {name: [] for name in contenders}
        cpu: dict[str, list[dict[str, float]]] = {name: [] for name in contenders}
        group_sizes = []
        for round_no in range(args.rounds):
            order = list(contenders) if round_no % 2 == 0 else list(reversed(contenders))
            for name in order:
                before = _batch_stats()
                measured = await measure(pool, contenders[name], args.tasks, batch, args.seconds)
                after = _batch_stats()
                rates[name].append(measured.rate)
                cpu[name].append(measured.cpu)
                if name == "store" and after[1] > before[1]:
                    group_sizes.append((after[0] - before[0]) / (after[1] - before[1]))
        results[workload] = {
            "events_per_append": batch,
            "events_per_second": {name: [round(r) for r in values] for name, values in rates.items()},
            "median_events_per_second": {name: round(statistics.median(v)) for name, v in rates.items()},
            "store_vs_baseline_per_round": [
                round(s / b, 2) for s, b in zip(rates["store"], rates["baseline"], strict=True)
            ],
            "store_vs_baseline_median": _median_ratio(rates["store"], rates["baseline"]),
            "indexed_vs_baseline_median": _median_ratio(rates["indexed"], rates["baseline"]),
            "store_vs_indexed_median": _median_ratio(rates["store"], rates["indexed"]),
            "store_vs_rowwise_median": _median_ratio(rates["store"], rates["rowwise"]),
            "median_cpu_us_per_event": {name: _cpu_medians(rounds) for name, rounds in cpu.items()},
            "store_events_per_group_commit": round(statistics.mean(group_sizes), 1) if group_sizes else None,
        }
    await store.close()
    await pool.close()
    return {
        "benchmark": "append",
        "tasks": args.tasks,
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "postgres": server,
        "synchronous_commit": durability,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "results": results,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per workload (median reported)")
    parser.add_argument("--tasks", type=int, default=16, help="concurrent appending tasks")
    parser.add_argument("--batch", type=int, default=100, help="events per append in the batch workload")
    arguments = parser.parse_args()
    print(json.dumps(throwaway.run(lambda url: bench(url, arguments)), indent=2))
